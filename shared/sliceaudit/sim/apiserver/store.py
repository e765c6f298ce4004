"""The simulated API server's storage: pre-serialized objects, one global resourceVersion, a bounded
event history for watches, and list snapshots that continue tokens point into."""

from __future__ import annotations

import bisect
import gc
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import msgspec

from sliceaudit.sim.apiserver.resources import Resource, resource, selectable_fields

_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True, slots=True)
class Entry:
    key: str  # "namespace/name": the list order, as etcd keys sort
    namespace: str
    name: str
    data: bytes  # the object's JSON, resourceVersion included
    rv: int
    labels: dict
    fields: dict


@dataclass(frozen=True, slots=True)
class Event:
    rv: int
    plural: str
    type: str  # ADDED, MODIFIED, DELETED
    entry: Entry
    old: Entry | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    rv: int
    entries: list[Entry]
    keys: list[str]
    made: float


class Store:
    """Thread-safe; `cond` is notified on every change so watchers wake up."""

    def __init__(self, history: int = 5000, continue_ttl: float = 300.0, first_rv: int = 1000):
        self.cond = threading.Condition()
        self.rv = first_rv
        self.history = max(1, history)
        self.continue_ttl = continue_ttl
        self._objects: dict[str, dict[str, Entry]] = {}
        self._log: list[Event] = []
        self._log_start = 0  # sequence number of _log[0]
        # Watches from a resourceVersion at or above this one can be served from the history.
        self.compacted_rv = first_rv
        self._snapshots: OrderedDict[tuple[str, int], Snapshot] = OrderedDict()
        self._sorted: dict[str, Snapshot] = {}

    # -- writes -------------------------------------------------------------------------

    def _entry(self, res: Resource, obj: dict, rv: int) -> Entry:
        meta = dict(obj.get("metadata") or {})
        meta["resourceVersion"] = str(rv)
        obj = {**obj, "metadata": meta}
        obj.setdefault("kind", res.kind)
        obj.setdefault("apiVersion", res.api_version)
        ns, name = meta.get("namespace", ""), meta.get("name", "")
        return Entry(f"{ns}/{name}", ns, name, _encode(obj), rv, meta.get("labels") or {},
                     selectable_fields(res, obj))

    def load(self, kind: str, objects) -> None:
        """Bulk initial objects: no watch events, as if they predate the history."""
        res = resource(kind)
        # The cyclic GC would rescan every entry made so far, again and again: hundreds of thousands
        # of acyclic dicts for a large cluster. It is paused while they are made.
        collecting = gc.isenabled()
        gc.disable()
        try:
            with self.cond:
                table = self._objects.setdefault(res.plural, {})
                for obj in objects:
                    # Objects keep the resourceVersion they were generated with, so callers can watch from it.
                    given = str((obj.get("metadata") or {}).get("resourceVersion") or "")
                    rv = int(given) if given.isdigit() and int(given) > 0 else self.rv + 1
                    self.rv = max(self.rv, rv)
                    e = self._entry(res, obj, rv)
                    table[e.key] = e
                self.compacted_rv = self.rv
                self._sorted.pop(res.plural, None)
                self.cond.notify_all()
        finally:
            if collecting:
                gc.enable()

    def put(self, kind: str, obj: dict) -> Entry:
        """Creates or replaces an object (ADDED or MODIFIED) with a new resourceVersion."""
        res = resource(kind)
        with self.cond:
            self.rv += 1
            e = self._entry(res, obj, self.rv)
            table = self._objects.setdefault(res.plural, {})
            old = table.get(e.key)
            table[e.key] = e
            self._record(Event(self.rv, res.plural, "MODIFIED" if old else "ADDED", e, old))
            return e

    def delete(self, kind: str, namespace: str, name: str) -> Entry | None:
        res = resource(kind)
        with self.cond:
            table = self._objects.get(res.plural, {})
            old = table.pop(f"{namespace}/{name}", None)
            if old is None:
                return None
            self.rv += 1
            obj = msgspec.json.decode(old.data)
            # The DELETED event carries the object at the deletion's resourceVersion.
            e = self._entry(res, obj, self.rv)
            self._record(Event(self.rv, res.plural, "DELETED", e, old))
            return e

    def _record(self, event: Event) -> None:
        self._log.append(event)
        self._sorted.pop(event.plural, None)
        if len(self._log) > self.history:
            drop = len(self._log) - self.history
            self.compacted_rv = self._log[drop - 1].rv
            del self._log[:drop]
            self._log_start += drop
        self.cond.notify_all()

    def expire_continue_tokens(self) -> None:
        with self.cond:
            self._snapshots.clear()

    # -- reads --------------------------------------------------------------------------

    def get(self, plural: str, namespace: str, name: str) -> Entry | None:
        with self.cond:
            return self._objects.get(plural, {}).get(f"{namespace}/{name}")

    def snapshot(self, plural: str) -> Snapshot:
        """The current sorted list, remembered so continue tokens can page through it."""
        with self.cond:
            snap = self._sorted.get(plural)
            if snap is None:
                entries = sorted(self._objects.get(plural, {}).values(), key=lambda e: e.key)
                snap = Snapshot(self.rv, entries, [e.key for e in entries], time.monotonic())
                self._sorted[plural] = snap
            elif snap.rv != self.rv:
                # Other kinds changed: same objects, stamped with the current resourceVersion.
                snap = Snapshot(self.rv, snap.entries, snap.keys, time.monotonic())
                self._sorted[plural] = snap
            self._remember(plural, snap)
            return snap

    def _remember(self, plural: str, snap: Snapshot) -> None:
        now = time.monotonic()
        self._snapshots[(plural, snap.rv)] = snap
        self._snapshots.move_to_end((plural, snap.rv))
        while self._snapshots:
            (_, oldest) = next(iter(self._snapshots.items()))
            if len(self._snapshots) > 64 or now - oldest.made > self.continue_ttl:
                self._snapshots.popitem(last=False)
            else:
                break

    def snapshot_at(self, plural: str, rv: int) -> Snapshot | None:
        """The snapshot a continue token points into, or None once it has expired or been compacted."""
        with self.cond:
            snap = self._snapshots.get((plural, rv))
            if snap is None or rv < self.compacted_rv or time.monotonic() - snap.made > self.continue_ttl:
                return None
            return snap

    def watch_start(self, plural: str, rv: int | None) -> tuple[int, list[Entry] | None, int]:
        """(sequence to read events from, initial objects or None, current rv); seq -1 means too old."""
        with self.cond:
            if rv is None:
                snap = self.snapshot(plural)
                return self._log_start + len(self._log), snap.entries, snap.rv
            if rv < self.compacted_rv:
                return -1, None, self.rv
            idx = bisect.bisect_right(self._log, rv, key=lambda e: e.rv)
            return self._log_start + idx, None, self.rv

    def events_since(self, seq: int, wait: float, stop: threading.Event) -> tuple[int, list[Event] | None, int]:
        """Events from `seq` on, waiting up to `wait` seconds for some; None if they were compacted away."""
        with self.cond:
            if seq < self._log_start:
                return seq, None, self.rv
            if seq >= self._log_start + len(self._log) and wait > 0 and not stop.is_set():
                self.cond.wait(wait)
            if seq < self._log_start:
                return seq, None, self.rv
            batch = self._log[seq - self._log_start:]
            return seq + len(batch), batch, self.rv

    def wake(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def count(self, plural: str) -> int:
        with self.cond:
            return len(self._objects.get(plural, {}))
