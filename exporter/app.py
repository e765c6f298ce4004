"""The running exporter: a state and watcher per cluster, the HTTP server, kubeconfig reloads, an orderly stop."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Self

from exporter.compact import compact
from exporter.config import ExporterConfig
from exporter.fleet import ClusterSource
from exporter.server import MetricsServer
from exporter.state import ClusterState
from exporter.warnlimit import WarningLimiter
from exporter.watchers import ClusterWatcher
from sliceaudit.kube.clusters import ClusterAccess, connect
from sliceaudit.kube.errors import ClusterError
from sliceaudit.kube.watch import WatchOptions, watch_kind

log = logging.getLogger(__name__)

STOP_GRACE = 5.0    # seconds the watches get to notice the stop before the process leaves without them
HOUSEKEEPING = 5.0  # seconds between summaries of suppressed warnings (and looks at the kubeconfig, at most)


@dataclass
class _Watched:
    access: ClusterAccess
    state: ClusterState
    watcher: ClusterWatcher
    fingerprint: str | None


def watch_compact(client, kind: str, **options):
    """watch_kind keeping only the state's compact copies of listed objects, made as each page arrives:
    a relist never holds the whole list's records at once (and their memory is given back after)."""
    return watch_kind(client, kind, keep=compact, **options)


class Exporter:
    """Start with `start()` (or `with`), stop with `stop()`; `url` once started.

    With a `source`, the kubeconfig is looked at every `config.reload_interval` seconds and the
    watched clusters follow it: removed ones stop and lose their series, new ones start, and one
    whose context changed gets a new watcher on the state it had (its series stay meanwhile).
    """

    def __init__(self, config: ExporterConfig, clusters: Sequence[ClusterAccess], *,
                 source: ClusterSource | None = None, connect: Callable = connect, watch: Callable = watch_compact):
        self.config = config
        self.source = source
        self.limiter = WarningLimiter()
        self._connect, self._watch = connect, watch
        self._lock = threading.Lock()
        self._watched: dict[str, _Watched] = {}
        self._retired: list[ClusterWatcher] = []
        self._stopping = threading.Event()
        self._initial = list(clusters)
        self.server: MetricsServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None, "not started"
        return self.server.url

    @property
    def states(self) -> list[ClusterState]:
        """The watched clusters' states, in the order they were added."""
        with self._lock:
            return [w.state for w in self._watched.values()]

    def start(self) -> Self:
        # Bind first: a taken port is a usage error, before any cluster is contacted.
        self.server = MetricsServer((self.config.listen.host, self.config.listen.port), lambda: self.states,
                                    max_connections=self.config.max_connections)
        self.server.start()
        self.update(self._initial, initial=True)
        threading.Thread(target=self._housekeeping, name="housekeeping", daemon=True).start()
        states = self.states
        log.info("serving %s/metrics for %d cluster(s): %s", self.url, len(states),
                 ", ".join(s.name for s in states) or "none")
        return self

    def update(self, clusters: Sequence[ClusterAccess], *, initial: bool = False) -> None:
        """Watches exactly `clusters`: stops the others, starts new ones, restarts changed ones."""
        wanted = {a.name: a for a in clusters}
        with self._lock:
            for name in [n for n in self._watched if n not in wanted]:
                held = self._watched.pop(name)
                self._retire(held.watcher)
                self.limiter.forget(name)
                log.info("cluster %s: no longer in the kubeconfig; stopped watching it", name)
            for name, access in wanted.items():
                fingerprint = self.source.fingerprint(access) if self.source else None
                held = self._watched.get(name)
                if held is None:
                    state = ClusterState(name, max_series=self.config.max_series_per_cluster,
                                         consumers=self.config.consumers)
                    self._watched[name] = _Watched(access, state, self._watcher(access, state), fingerprint)
                    if not initial:
                        log.info("cluster %s: new in the kubeconfig; watching it", name)
                elif held.access != access or held.fingerprint != fingerprint:
                    self._retire(held.watcher)
                    held.access, held.fingerprint = access, fingerprint
                    held.watcher = self._watcher(access, held.state, held.watcher.feed_lock)
                    log.info("cluster %s: its kubeconfig entry changed; reconnecting", name)

    def _watcher(self, access: ClusterAccess, state: ClusterState,
                 feed_lock: threading.Lock | None = None) -> ClusterWatcher:
        watcher = ClusterWatcher(access, state, connect=self._connect, watch=self._watch, limiter=self.limiter,
                                 feed_lock=feed_lock, options=WatchOptions(list_timeout=self.config.list_timeout))
        watcher.start()
        return watcher

    def _retire(self, watcher: ClusterWatcher) -> None:
        watcher.stop()   # a stalled request may keep its threads a while: joined at the end, never waited on here
        self._retired = [w for w in self._retired if not w.join(time.monotonic())] + [watcher]

    def _housekeeping(self) -> None:
        interval = min(HOUSEKEEPING, self.config.reload_interval or HOUSEKEEPING)
        next_look = time.monotonic() + self.config.reload_interval
        while not self._stopping.wait(interval):
            self.limiter.flush()
            if self.source is None or not self.source.reloads or time.monotonic() < next_look:
                continue
            next_look = time.monotonic() + self.config.reload_interval
            try:
                self._reload()
            except Exception:  # noqa: BLE001 (a bug here must not end reloads, nor the exporter)
                log.exception("cannot re-read the kubeconfig")

    def _reload(self) -> None:
        assert self.source is not None
        if not self.source.changed():
            return
        try:
            clusters = self.source.select(starting=False)
        except ClusterError as err:
            log.warning("kubeconfig %s changed but cannot be used (%s); still watching %d cluster(s)",
                        self.source.path, err, len(self.states))
            return
        log.info("kubeconfig %s changed: re-reading it", self.source.path)
        self.update(clusters)

    def stop(self, grace: float = STOP_GRACE) -> bool:
        """Stops everything; True when every watch ended within `grace` seconds."""
        self._stopping.set()
        with self._lock:
            watchers = [w.watcher for w in self._watched.values()] + self._retired
        for w in watchers:
            w.stop()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        self.limiter.flush(everything=True)
        deadline = time.monotonic() + grace
        return all([w.join(deadline) for w in watchers])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
