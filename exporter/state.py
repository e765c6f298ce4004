"""One cluster's held state: compact Services and EndpointSlices, and each Service's rendered series.

Watcher threads feed it (one per resource); scrapes read it. An event recomputes only the
Services it touches, with the same `audit_service` the CLI and the Lambda use (held slices are
expanded back into records for it). A relist swaps the held objects in one step and recomputes
the Services whose held objects differ, so a scrape sees the old numbers or the new ones, never
an empty cluster. Slices are held by namespace and name (unique at any moment); an object that
comes back the same as held (a new resourceVersion, an annotation) changes nothing.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from exporter.compact import compact_service, compact_slice, expand_slice
from exporter.metrics.cluster import ClusterStats
from exporter.metrics.consumer import broken_backends, consumer_labels
from exporter.metrics.families import CONSUMER_FAMILIES, SERVICE_FAMILIES
from exporter.metrics.service import ServiceValues, family_blocks, service_labels
from sliceaudit.api.decode import WatchEvent
from sliceaudit.api.kinds import AUDITED, KINDS
from sliceaudit.api.records import EndpointSlice, Service
from sliceaudit.audit.classify import TERMINATING_ONLY
from sliceaudit.audit.cluster import audit_service
from sliceaudit.audit.report import severity
from sliceaudit.consumers.detect import Present

log = logging.getLogger(__name__)

ServiceKey = tuple[str, str]

# The kinds the exporter watches, and how metrics name them.
RESOURCES = {kind: KINDS[kind].plural for kind in AUDITED}
SERIES_PER_SERVICE = len(SERVICE_FAMILIES)  # plus one per declared consumer
BLOCKS = len(SERVICE_FAMILIES) + len(CONSUMER_FAMILIES)
_BATCH = 500  # Services recomputed per lock hold during a relist: scrapes interleave


_EMPTY: dict = {}
_SHARED_VALUES: dict[ServiceValues, ServiceValues] = {}  # most Services have the same few numbers


def _terminating_only(report) -> int:
    """1 when some port lives on kube-proxy's graceful-termination fallback: an outage in waiting."""
    return int(any(f.code == TERMINATING_ONLY for f in report.findings))


def _values(values: ServiceValues) -> ServiceValues:
    if len(_SHARED_VALUES) > 10_000:
        _SHARED_VALUES.clear()
    return _SHARED_VALUES.setdefault(values, values)


def _service_key(s: Service) -> ServiceKey:
    return (s.metadata.namespace, s.metadata.name)


def _group_key(held) -> ServiceKey | None:
    """The Service a held slice belongs to, by its service-name label.

    Keys are made from held objects only, never from a record's strings: those would pin its memory.
    """
    name = held.service_name
    return (held.namespace, name) if name else None


class ClusterState:
    def __init__(self, name: str, *, max_series: int = 0, clock: Callable[[], float] = time.time,
                 consumers: Sequence[Present] = ()):
        self.name = name
        self._clock = clock
        self._consumers = tuple(consumers)   # declared: a series each per Service (detection would be unbounded)
        self._consumer_labels = consumer_labels(self._consumers)
        self._per_service = SERIES_PER_SERVICE + len(self._consumers)
        self._max_services = max(1, max_series // self._per_service) if max_series else 0
        self._lock = threading.Lock()
        self._services: dict[ServiceKey, Service] = {}
        self._slices: dict[str, dict[str, object]] = {}        # namespace -> slice name -> held slice
        self._by_service: dict[ServiceKey, dict[str, object]] = {}  # the same, per Service
        self._slice_count = 0
        # Per Service a mutable slot [values, label set]: updated in place, so the sorted list of slots
        # stays valid until a Service comes or goes, and a scrape walks it without a lookup.
        self._series: dict[ServiceKey, list] = {}
        self._order: list[tuple[ServiceKey, list]] | None = None  # sorted (key, slot); None once the set changes
        self._blocks: tuple[bytes, ...] | None = None    # one joined block per family; None once a line changes
        self._cut = 0                                    # series the cap leaves out of the current blocks
        self._listed: set[str] = set()
        self._synced = False  # every resource listed and every Service audited once: scrapes show them
        self._healthy: dict[str, bool] = {kind: False for kind in RESOURCES}
        self._failed_once = False
        self._last_sync = 0.0
        self._restarts = {r: 0 for r in RESOURCES.values()}
        self._events: dict[tuple[str, str], int] = {}
        self._rejected = {r: 0 for r in RESOURCES.values()}
        self._series_cut_total = 0

    # --- fed by watchers -------------------------------------------------------------------

    def apply_list(self, kind: str, records: Iterable) -> None:
        """A full list of `kind`: replaces what is held in one step, recomputes what changed."""
        if kind == "Service":
            touched = self._swap_services(records)
        elif kind == "EndpointSlice":
            touched = self._swap_slices(records)
        else:
            raise ValueError(f"the exporter does not watch {kind}")
        with self._lock:
            first_sync = kind not in self._listed and len(self._listed) == len(RESOURCES) - 1
            self._listed.add(kind)
            self._healthy[kind] = True
            self._last_sync = self._clock()
            self._count_event(kind, "LIST")
            if first_sync:
                touched = set(self._services)
        self._recompute_batched(touched)
        if first_sync:
            # Only now do scrapes and /readyz see the cluster: never a part of its Services.
            with self._lock:
                self._synced = True
                self._blocks = None

    def apply_event(self, kind: str, event: WatchEvent) -> None:
        """One ADDED, MODIFIED or DELETED object (watch_kind keeps bookmarks and errors to itself)."""
        obj, deleted = event.object, event.type == "DELETED"
        if kind not in RESOURCES:
            raise ValueError(f"the exporter does not watch {kind}")
        compact = compact_service if kind == "Service" else compact_slice
        held = None if deleted else compact(obj)
        with self._lock:
            touched: tuple[ServiceKey, ...] = ()
            if kind == "Service":
                key = _service_key(obj)
                if held is None:
                    if self._services.pop(key, None) is not None:
                        touched = (key,)
                elif self._services.get(key) != held:
                    self._services[_service_key(held)] = held
                    touched = (key,)
            else:
                ns, name = obj.metadata.namespace, obj.metadata.name
                if held is None or self._slices.get(ns, _EMPTY).get(name) != held:
                    touched = self._put_slice(ns, name, held)
            # Counted once applied: an object that cannot be held counts as rejected, not as applied.
            self._last_sync = self._clock()
            self._healthy[kind] = True
            self._count_event(kind, event.type)
            for key in touched:
                self._recompute(key)

    def note_rejected(self, kind: str, count: int = 1) -> None:
        with self._lock:
            self._rejected[RESOURCES[kind]] += count

    def note_restart(self, kind: str, *, failed: bool) -> None:
        """A watch restarted; `failed` when it was an error rather than an expected relist."""
        with self._lock:
            self._restarts[RESOURCES[kind]] += 1
            if failed:
                self._healthy[kind] = False
                self._failed_once = True

    def note_failure(self, kind: str | None = None) -> None:
        """A watch of `kind` failed (None: no client at all, every watch counts as down)."""
        with self._lock:
            for k in (kind,) if kind else RESOURCES:
                self._healthy[k] = False
            self._failed_once = True

    def note_contact(self, kind: str) -> None:
        """The API server accepted a watch from our last version: state current, cluster reachable."""
        with self._lock:
            self._healthy[kind] = True
            self._last_sync = self._clock()

    # --- read by scrapes and probes --------------------------------------------------------

    @property
    def synced(self) -> bool:
        """Every watched resource has listed at least once, and every Service has been audited since."""
        return self._synced

    @property
    def attempted(self) -> bool:
        """Synced, or failed at least once: readiness must not wait forever on a broken cluster."""
        return self.synced or self._failed_once

    def service_blocks(self) -> tuple[bytes, ...]:
        """Per family, every held Service's sample lines; counts what the cap cuts at each call."""
        with self._lock:
            if not self.synced:
                return (b"",) * BLOCKS
            if self._blocks is None:
                self._blocks = self._join()
            self._series_cut_total += self._cut
            return self._blocks

    def stats(self) -> ClusterStats:
        with self._lock:
            return ClusterStats(
                cluster=self.name,
                up=self.synced and all(self._healthy.values()),
                last_sync=self._last_sync,
                objects={"services": len(self._services), "endpointslices": self._slice_count},
                restarts=dict(self._restarts),
                events=dict(self._events),
                rejected=dict(self._rejected),
                series_cut=self._series_cut_total,
            )

    def values(self) -> dict[ServiceKey, ServiceValues]:
        """Every Service's current numbers (tests and benchmarks)."""
        with self._lock:
            return {k: slot[0] for k, slot in self._series.items()}

    # --- internals -------------------------------------------------------------------------

    def _count_event(self, kind: str, type_: str) -> None:
        key = (RESOURCES[kind], type_)
        self._events[key] = self._events.get(key, 0) + 1

    def _swap_services(self, records: Iterable[Service]) -> set[ServiceKey]:
        old = self._services  # only this kind's watcher thread replaces it
        new: dict[ServiceKey, Service] = {}
        for s in records:
            held = compact_service(s)
            before = old.get(_service_key(s))
            if before == held:
                held = before  # unchanged: keep the held one, audit nothing
            new[_service_key(held)] = held
        touched = {k for k in old.keys() | new.keys() if old.get(k) is not new.get(k)}
        with self._lock:
            self._services = new
        return touched

    def _swap_slices(self, records: Iterable[EndpointSlice]) -> set[ServiceKey]:
        old = self._slices  # only this kind's watcher thread replaces it
        new: dict[str, dict[str, object]] = {}
        touched: set[ServiceKey | None] = set()
        for s in records:
            held = compact_slice(s)
            before = old.get(held.namespace, _EMPTY).get(held.name)
            if before is not None and before == held:
                held = before  # unchanged: keep the held one, audit nothing
            else:
                touched.add(_group_key(held))
                if before is not None:
                    touched.add(_group_key(before))
            group = new.get(held.namespace)
            if group is None:
                group = new[held.namespace] = {}
            group[held.name] = held
        for ns, group in old.items():  # slices the list no longer has
            kept = new.get(ns, _EMPTY)
            touched.update(_group_key(held) for name, held in group.items() if name not in kept)
        touched.discard(None)
        count = sum(map(len, new.values()))
        by_service: dict[ServiceKey, dict[str, object]] = {}
        for group in new.values():
            for name, held in group.items():
                key = _group_key(held)
                if key is not None:
                    members = by_service.get(key)
                    if members is None:
                        members = by_service[key] = {}
                    members[name] = held
        with self._lock:
            self._slices, self._by_service, self._slice_count = new, by_service, count
        return touched  # type: ignore[return-value]

    def _put_slice(self, ns: str, name: str, held) -> tuple[ServiceKey, ...]:
        """Holds `held` as slice ns/name (None: deletes it); returns the Services it touched."""
        touched = []
        group = self._slices.get(ns)
        before = group.pop(name, None) if group is not None else None
        if before is not None:
            self._slice_count -= 1
            key = _group_key(before)
            if key is not None:
                members = self._by_service.get(key)
                if members is not None:
                    members.pop(name, None)
                    if not members:
                        del self._by_service[key]
                touched.append(key)
        if held is not None:
            if group is None:
                group = self._slices[held.namespace] = {}
            group[held.name] = held
            self._slice_count += 1
            key = _group_key(held)
            if key is not None:
                self._by_service.setdefault(key, {})[held.name] = held
                if key not in touched:
                    touched.append(key)
        elif group is not None and not group:
            del self._slices[ns]
        return tuple(touched)

    def _recompute_batched(self, keys: set[ServiceKey]) -> None:
        pending = sorted(keys)
        for start in range(0, len(pending), _BATCH):
            with self._lock:
                for key in pending[start:start + _BATCH]:
                    self._recompute(key)

    def _recompute(self, key: ServiceKey) -> None:
        """Re-audits one Service (lock held); its lines change only when its numbers do."""
        if len(self._listed) < len(RESOURCES):
            return  # the first full recompute happens once every resource has listed
        service = self._services.get(key)
        if service is None:
            if self._series.pop(key, None) is not None:
                self._order = self._blocks = None
            return
        try:
            report = audit_service(service, map(expand_slice, self._by_service.get(key, _EMPTY).values()),
                                   consumers=self._consumers)
        except Exception:  # a core bug on one odd Service must not stop the others
            log.exception("cluster %s: cannot audit Service %s/%s", self.name, *key)
            return
        values = _values(ServiceValues(report.endpoints, report.null_port_endpoints, report.port_zero_endpoints,
                                       int(report.status == "outage"), _terminating_only(report),
                                       severity(report.status),
                                       broken_backends(report, self._consumers)))
        slot = self._series.get(key)
        if slot is not None and slot[0] == values:
            return
        if slot is None:
            self._series[key] = [values, service_labels(self.name, key[0], key[1])]
            self._order = None
        else:
            slot[0] = values
        self._blocks = None

    def _join(self) -> tuple[bytes, ...]:
        if self._order is None:
            self._order = sorted(self._series.items())
        order = self._order
        cap = self._max_services
        self._cut = 0
        if cap and len(order) > cap:
            # Unhealthy Services first, then by name: the cap never hides an outage for a healthy one.
            kept = {k for k, _ in heapq.nsmallest(cap, order, key=lambda item: (-item[1][0].rank, item[0]))}
            self._cut = (len(order) - cap) * self._per_service
            order = [item for item in order if item[0] in kept]
        return family_blocks((slot for _, slot in order), self._consumer_labels)
