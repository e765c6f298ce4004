"""A cluster-state snapshot: everything one audit reads, grouped by kind."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sliceaudit.api.decode import Rejected
from sliceaudit.api.records import (
    DaemonSet,
    Deployment,
    EndpointSlice,
    Pod,
    Record,
    ReplicaSet,
    Service,
    StatefulSet,
)

_FIELD = {
    Service: "services",
    EndpointSlice: "slices",
    Pod: "pods",
    ReplicaSet: "replicasets",
    Deployment: "deployments",
    StatefulSet: "statefulsets",
    DaemonSet: "daemonsets",
}


@dataclass(frozen=True)
class Snapshot:
    services: tuple[Service, ...] = ()
    slices: tuple[EndpointSlice, ...] = ()
    pods: tuple[Pod, ...] = ()
    replicasets: tuple[ReplicaSet, ...] = ()
    deployments: tuple[Deployment, ...] = ()
    statefulsets: tuple[StatefulSet, ...] = ()
    daemonsets: tuple[DaemonSet, ...] = ()
    errors: tuple[Rejected, ...] = ()

    @classmethod
    def of(cls, records: Iterable[Record], errors: Iterable[Rejected] = ()) -> Snapshot:
        grouped: dict[str, list] = {name: [] for name in _FIELD.values()}
        for record in records:
            grouped[_FIELD[type(record)]].append(record)
        return cls(**{k: tuple(v) for k, v in grouped.items()}, errors=tuple(errors))

    def merge(self, other: Snapshot) -> Snapshot:
        return Snapshot(*(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__))
