"""One cluster's state: wires the object index, the relist diff, the rendered-bytes cache and the watches' health.

Watcher threads feed it (one per resource); scrapes read it. An event recomputes only the
Services it touches, with the same `audit_service` the CLI and the Lambda use (held slices are
expanded back into records for it); a relist swaps the held objects of its kind in one step and
recomputes the Services whose held objects differ (relist.py). Each family reads its value from
the report (metrics/families.py); the cache re-joins lines only when some value changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from exporter.compact import compact_service, compact_slice, expand_slice
from exporter.exposition_cache import BLOCKS, ExpositionCache
from exporter.index import ObjectIndex, ServiceKey, service_key
from exporter.metrics.cluster import ClusterStats
from exporter.metrics.service import ServiceValues, service_values
from exporter.relist import relist_services, relist_slices
from exporter.watch_health import RESOURCES, WatchHealth
from sliceaudit.api.decode import WatchEvent
from sliceaudit.audit.cluster import audit_service
from sliceaudit.audit.report import ServiceReport
from sliceaudit.consumers.detect import Present

log = logging.getLogger(__name__)

_BATCH = 500  # Services recomputed per lock hold during a relist: scrapes interleave


class ClusterState:
    def __init__(self, name: str, *, max_series: int = 0, clock: Callable[[], float] = time.time,
                 consumers: Sequence[Present] = ()):
        self.name = name
        self._consumers = tuple(consumers)   # declared: a series each per Service (detection would be unbounded)
        self._lock = threading.Lock()
        self._index = ObjectIndex()
        self._cache = ExpositionCache(name, consumers=self._consumers, max_series=max_series)
        self._listed: set[str] = set()
        self._synced = False  # every resource listed and every Service audited once: scrapes show them
        self._health = WatchHealth(clock)

    # --- fed by watchers -------------------------------------------------------------------

    def apply_list(self, kind: str, records: Iterable) -> None:
        """A full list of `kind`: replaces what is held in one step, recomputes what changed."""
        # The held objects are read without the lock: only this kind's watcher thread replaces them.
        if kind == "Service":
            services, touched = relist_services(self._index.services, records)
        elif kind == "EndpointSlice":
            slices, touched = relist_slices(self._index.slices, records)
        else:
            raise ValueError(f"the exporter does not watch {kind}")
        with self._lock:
            if kind == "Service":
                self._index.services = services
            else:
                self._index.slices = slices
            first_sync = kind not in self._listed and len(self._listed) == len(RESOURCES) - 1
            self._listed.add(kind)
            self._health.applied(kind, "LIST")
            if first_sync:
                touched = set(self._index.services)
        self._recompute_batched(touched)
        if first_sync:
            # Only now do scrapes and /readyz see the cluster: never a part of its Services.
            with self._lock:
                self._synced = True

    def apply_event(self, kind: str, event: WatchEvent) -> None:
        """One ADDED, MODIFIED or DELETED object (watch_kind keeps bookmarks and errors to itself)."""
        obj, deleted = event.object, event.type == "DELETED"
        if kind not in RESOURCES:
            raise ValueError(f"the exporter does not watch {kind}")
        compact = compact_service if kind == "Service" else compact_slice
        held = None if deleted else compact(obj)
        with self._lock:
            if kind == "Service":
                touched = self._index.put_service(service_key(obj), held)
            else:
                touched = self._index.put_slice(obj.metadata.namespace, obj.metadata.name, held)
            # Counted once applied: an object that cannot be held counts as rejected, not as applied.
            self._health.applied(kind, event.type)
            for key in touched:
                self._recompute(key)

    def note_rejected(self, kind: str, count: int = 1) -> None:
        with self._lock:
            self._health.reject(kind, count)

    def note_restart(self, kind: str, *, failed: bool) -> None:
        """A watch restarted; `failed` when it was an error rather than an expected relist."""
        with self._lock:
            self._health.restart(kind, failed=failed)

    def note_failure(self, kind: str | None = None) -> None:
        """A watch of `kind` failed (None: no client at all, every watch counts as down)."""
        with self._lock:
            self._health.failure(kind)

    def note_contact(self, kind: str) -> None:
        """The API server accepted a watch from our last version: state current, cluster reachable."""
        with self._lock:
            self._health.contact(kind)

    # --- read by scrapes and probes --------------------------------------------------------

    @property
    def synced(self) -> bool:
        """Every watched resource has listed at least once, and every Service has been audited since."""
        return self._synced

    @property
    def attempted(self) -> bool:
        """Synced, or failed at least once: readiness must not wait forever on a broken cluster."""
        return self.synced or self._health.failed_once

    def service_blocks(self) -> tuple[bytes, ...]:
        """Per family, every held Service's sample lines; counts what the cap cuts at each call."""
        with self._lock:
            if not self.synced:
                return (b"",) * BLOCKS
            return self._cache.blocks()

    def stats(self) -> ClusterStats:
        with self._lock:
            health = self._health
            return ClusterStats(
                cluster=self.name,
                up=self.synced and health.healthy,
                last_sync=health.last_sync,
                objects=self._index.counts(),
                restarts=dict(health.restarts),
                events=dict(health.events),
                rejected=dict(health.rejected),
                series_cut=self._cache.cut_total,
            )

    def values(self) -> dict[ServiceKey, ServiceValues]:
        """Every Service's current numbers (tests and benchmarks)."""
        with self._lock:
            return self._cache.values()

    def report(self, key: ServiceKey) -> ServiceReport | None:
        """One Service's report from the held copies, the one its gauges are read from (None: not held)."""
        with self._lock:
            return self._audit(key)

    # --- internals -------------------------------------------------------------------------

    def _recompute_batched(self, keys: set[ServiceKey]) -> None:
        pending = sorted(keys)
        for start in range(0, len(pending), _BATCH):
            with self._lock:
                for key in pending[start:start + _BATCH]:
                    self._recompute(key)

    def _recompute(self, key: ServiceKey) -> None:
        """Re-audits one Service (lock held) and hands its values to the cache."""
        if len(self._listed) < len(RESOURCES):
            return  # the first full recompute happens once every resource has listed
        try:
            report = self._audit(key)
        except Exception:  # a core bug on one odd Service must not stop the others
            log.exception("cluster %s: cannot audit Service %s/%s", self.name, *key)
            return
        if report is None:
            self._cache.drop(key)
            return
        self._cache.put(key, service_values(report, self._consumers))

    def _audit(self, key: ServiceKey) -> ServiceReport | None:
        service = self._index.services.get(key)
        if service is None:
            return None
        return audit_service(service, map(expand_slice, self._index.slices.of_service(key)),
                             consumers=self._consumers)
