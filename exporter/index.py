"""The object index: one cluster's held Services, and its held EndpointSlices by name and per Service.

Slices are held by namespace and name (unique at any moment) and filed under the Service their
`kubernetes.io/service-name` label names. Nothing here locks: ClusterState holds its lock around
every change, and a relist builds a whole new HeldSlices (relist.py) that replaces the held one.
"""

from __future__ import annotations

from collections.abc import Iterable

from exporter.compact import HeldService, HeldSlice
from sliceaudit.api.records import Service

ServiceKey = tuple[str, str]

_EMPTY: dict = {}


def service_key(s: Service) -> ServiceKey:
    return (s.metadata.namespace, s.metadata.name)


def group_key(held: HeldSlice) -> ServiceKey | None:
    """The Service a held slice belongs to, by its service-name label.

    Keys are made from held objects only, never from a record's strings: those would pin its memory.
    """
    name = held.service_name
    return (held.namespace, name) if name else None


class HeldSlices:
    """EndpointSlices by namespace and name, and the same per Service."""

    __slots__ = ("by_namespace", "by_service", "count")

    def __init__(self, by_namespace: dict[str, dict[str, HeldSlice]] | None = None) -> None:
        self.by_namespace = by_namespace if by_namespace is not None else {}
        self.by_service: dict[ServiceKey, dict[str, HeldSlice]] = {}
        self.count = 0
        for group in self.by_namespace.values():
            self.count += len(group)
            for name, held in group.items():
                key = group_key(held)
                if key is not None:
                    members = self.by_service.get(key)
                    if members is None:
                        members = self.by_service[key] = {}
                    members[name] = held

    def get(self, namespace: str, name: str) -> HeldSlice | None:
        return self.by_namespace.get(namespace, _EMPTY).get(name)

    def of_service(self, key: ServiceKey) -> Iterable[HeldSlice]:
        return self.by_service.get(key, _EMPTY).values()

    def put(self, namespace: str, name: str, held: HeldSlice | None) -> tuple[ServiceKey, ...]:
        """Holds `held` as slice namespace/name (None: deletes it); returns the Services it touched."""
        touched = []
        group = self.by_namespace.get(namespace)
        before = group.pop(name, None) if group is not None else None
        if before is not None:
            self.count -= 1
            key = group_key(before)
            if key is not None:
                members = self.by_service.get(key)
                if members is not None:
                    members.pop(name, None)
                    if not members:
                        del self.by_service[key]
                touched.append(key)
        if held is not None:
            if group is None:
                group = self.by_namespace[held.namespace] = {}
            group[held.name] = held
            self.count += 1
            key = group_key(held)
            if key is not None:
                self.by_service.setdefault(key, {})[held.name] = held
                if key not in touched:
                    touched.append(key)
        elif group is not None and not group:
            del self.by_namespace[namespace]
        return tuple(touched)


class ObjectIndex:
    """The held Services by key and the held slices; the relist diff replaces either whole."""

    __slots__ = ("services", "slices")

    def __init__(self) -> None:
        self.services: dict[ServiceKey, HeldService] = {}
        self.slices = HeldSlices()

    def put_service(self, key: ServiceKey, held: HeldService | None) -> tuple[ServiceKey, ...]:
        """Holds `held` as Service `key` (None: deletes it); returns the key when that changed anything."""
        services = self.services
        if held is None:
            return (key,) if services.pop(key, None) is not None else ()
        if services.get(key) == held:
            return ()
        services[service_key(held)] = held
        return (key,)

    def put_slice(self, namespace: str, name: str, held: HeldSlice | None) -> tuple[ServiceKey, ...]:
        """Holds `held` as slice namespace/name (None: deletes it); returns the Services that changed."""
        if held is not None and self.slices.get(namespace, name) == held:
            return ()
        return self.slices.put(namespace, name, held)

    def counts(self) -> dict[str, int]:
        return {"services": len(self.services), "endpointslices": self.slices.count}
