"""The relist diff: a full list of a kind against what is held, and the Services whose held objects differ.

A relist is built beside the held objects (only the kind's watcher thread replaces them, so they
can be read without the lock) and swapped in one step: a scrape sees the old numbers or the new
ones, never an empty cluster. An object that comes back the same as held (a new resourceVersion,
an annotation) keeps the held copy and re-audits nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from exporter.compact import HeldService, compact_service, compact_slice
from exporter.index import HeldSlices, ServiceKey, group_key, service_key
from sliceaudit.api.records import EndpointSlice, Service

_EMPTY: dict = {}


class RelistedServices(NamedTuple):
    services: dict[ServiceKey, HeldService]
    touched: set[ServiceKey]


class RelistedSlices(NamedTuple):
    slices: HeldSlices
    touched: set[ServiceKey]


def relist_services(held: Mapping[ServiceKey, HeldService], records: Iterable[Service]) -> RelistedServices:
    new: dict[ServiceKey, HeldService] = {}
    for s in records:
        copy = compact_service(s)
        before = held.get(service_key(s))
        if before == copy:
            copy = before  # unchanged: keep the held one, audit nothing
        new[service_key(copy)] = copy
    touched = {k for k in held.keys() | new.keys() if held.get(k) is not new.get(k)}
    return RelistedServices(new, touched)


def relist_slices(held: HeldSlices, records: Iterable[EndpointSlice]) -> RelistedSlices:
    old = held.by_namespace
    new: dict[str, dict] = {}
    touched: set[ServiceKey | None] = set()
    for s in records:
        copy = compact_slice(s)
        before = old.get(copy.namespace, _EMPTY).get(copy.name)
        if before is not None and before == copy:
            copy = before  # unchanged: keep the held one, audit nothing
        else:
            touched.add(group_key(copy))
            if before is not None:
                touched.add(group_key(before))
        group = new.get(copy.namespace)
        if group is None:
            group = new[copy.namespace] = {}
        group[copy.name] = copy
    for ns, group in old.items():  # slices the list no longer has
        kept = new.get(ns, _EMPTY)
        touched.update(group_key(before) for name, before in group.items() if name not in kept)
    touched.discard(None)
    return RelistedSlices(HeldSlices(new), touched)  # type: ignore[arg-type]
