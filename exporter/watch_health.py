"""The health of one cluster's watches: per kind up or down, restarts, applied events, rejected objects, last sync.

What sliceaudit_cluster_up and the per-cluster counters show. Nothing here locks: ClusterState
holds its lock around every call.
"""

from __future__ import annotations

from collections.abc import Callable

from sliceaudit.api.kinds import AUDITED, KINDS

# The kinds the exporter watches, and how metrics name them.
RESOURCES = {kind: KINDS[kind].plural for kind in AUDITED}


class WatchHealth:
    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._healthy: dict[str, bool] = {kind: False for kind in RESOURCES}
        self.failed_once = False
        self.last_sync = 0.0
        self.restarts = {r: 0 for r in RESOURCES.values()}
        self.events: dict[tuple[str, str], int] = {}
        self.rejected = {r: 0 for r in RESOURCES.values()}

    @property
    def healthy(self) -> bool:
        """Every watch runs without error since its last list or event."""
        return all(self._healthy.values())

    def applied(self, kind: str, type_: str) -> None:
        """A list (type LIST) or an event of `kind` was applied: the watch is healthy, the state current."""
        self.contact(kind)
        key = (RESOURCES[kind], type_)
        self.events[key] = self.events.get(key, 0) + 1

    def contact(self, kind: str) -> None:
        """The API server answered the watch of `kind` from our last version: state current, cluster reachable."""
        self._healthy[kind] = True
        self.last_sync = self._clock()

    def restart(self, kind: str, *, failed: bool) -> None:
        self.restarts[RESOURCES[kind]] += 1
        if failed:
            self.failure(kind)

    def failure(self, kind: str | None = None) -> None:
        """The watch of `kind` failed (None: every watch)."""
        for k in (kind,) if kind else RESOURCES:
            self._healthy[k] = False
        self.failed_once = True

    def reject(self, kind: str, count: int) -> None:
        self.rejected[RESOURCES[kind]] += count
