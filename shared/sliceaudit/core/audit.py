"""The audit: a cluster snapshot in, a ClusterReport out. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable

from sliceaudit.core.classify import classify
from sliceaudit.core.owners import Owners
from sliceaudit.core.records import EndpointSlice, Service
from sliceaudit.core.report import ClusterReport, ErrorEntry, ServiceReport
from sliceaudit.core.snapshot import Snapshot


def slices_by_service(slices: Iterable[EndpointSlice]) -> dict[tuple[str, str], list[EndpointSlice]]:
    """A Service's slices: same namespace, labelled kubernetes.io/service-name: <service>."""
    grouped: dict[tuple[str, str], list[EndpointSlice]] = {}
    for s in slices:
        name = s.service_name
        if name:
            grouped.setdefault((s.metadata.namespace, name), []).append(s)
    return grouped


def audit_service(service: Service, slices: Iterable[EndpointSlice], owners: Owners | None = None) -> ServiceReport:
    return classify(service, list(slices), owners or Owners())


def audit_cluster(name: str, snapshot: Snapshot) -> ClusterReport:
    owners = Owners.of(snapshot)
    grouped = slices_by_service(snapshot.slices)
    services = sorted(snapshot.services, key=lambda s: (s.metadata.namespace, s.metadata.name))
    reports = [classify(svc, grouped.get((svc.metadata.namespace, svc.metadata.name), []), owners)
               for svc in services]
    errors = [ErrorEntry(e.object, e.message) for e in snapshot.errors]
    return ClusterReport(name, reports, errors)
