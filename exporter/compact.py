"""Compact copies of records for long-lived state: only what the per-Service audit reads.

A watch holds every EndpointSlice of a fleet for weeks, so each slice keeps its name, uid,
resourceVersion, the two labels the audit reads, its ports and, per endpoint, the first address
and conditions (no targetRef, node or zone). Equal conditions, port lists and label pairs are
shared between slices. bench/exporter.py measures what this saves.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from sliceaudit.core.records import (
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
    Endpoint,
    EndpointSlice,
    ObjectMeta,
    Service,
)

_LIMIT = 50_000  # an interning table is dropped (not trimmed) past this size: churn never grows it unbounded


class _Interner:
    """One shared instance per distinct (hashable) key: the key itself, or what `make(key)` built once."""

    def __init__(self, make: Callable = lambda key: key) -> None:
        self._make = make
        self._table: dict = {}

    def __call__(self, key):
        if key is None:
            return None
        found = self._table.get(key)
        if found is None:
            if len(self._table) >= _LIMIT:
                self._table = {}
            found = self._table.setdefault(key, self._make(key))
        return found


_conditions = _Interner()
_ports = _Interner()
_label_dicts = _Interner(dict)  # label pairs -> one shared (never mutated) dict


def _meta(meta: ObjectMeta, labels: dict[str, str] | None) -> ObjectMeta:
    return ObjectMeta(name=meta.name, namespace=sys.intern(meta.namespace), uid=meta.uid,
                      resource_version=meta.resource_version, labels=labels)


def slice_labels(s: EndpointSlice) -> dict[str, str] | None:
    """The two labels the audit reads, as one shared (never mutated) dict per distinct pair."""
    pairs = tuple((k, v) for k in (SERVICE_NAME_LABEL, MANAGED_BY_LABEL) if (v := s.metadata.label(k)))
    return _label_dicts(pairs) if pairs else None


def compact_slice(s: EndpointSlice) -> EndpointSlice:
    endpoints = None
    if s.endpoints is not None:
        endpoints = tuple(
            Endpoint(addresses=e.addresses if len(e.addresses) <= 1 else e.addresses[:1],
                     conditions=_conditions(e.conditions))
            for e in s.endpoints)
    return EndpointSlice(metadata=_meta(s.metadata, slice_labels(s)), address_type=sys.intern(s.address_type),
                         endpoints=endpoints, ports=_ports(s.ports))


def compact_service(s: Service) -> Service:
    return Service(metadata=_meta(s.metadata, None), spec=s.spec)
