"""The audit: a cluster snapshot in, a ClusterReport out. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sliceaudit.api.records import EndpointSlice, Service
from sliceaudit.api.snapshot import Snapshot
from sliceaudit.audit.classify import classify
from sliceaudit.audit.impact import consumer_reports, service_impact
from sliceaudit.audit.owners import OwnerIndex
from sliceaudit.audit.report import ClusterReport, ErrorEntry, ServiceReport
from sliceaudit.consumers.detect import Present, detect


def slices_by_service(slices: Iterable[EndpointSlice]) -> dict[tuple[str, str], list[EndpointSlice]]:
    """A Service's slices: same namespace, labelled kubernetes.io/service-name: <service>."""
    grouped: dict[tuple[str, str], list[EndpointSlice]] = {}
    for s in slices:
        name = s.service_name
        if name:
            grouped.setdefault((s.metadata.namespace, name), []).append(s)
    return grouped


def audit_service(service: Service, slices: Iterable[EndpointSlice], owners: OwnerIndex | None = None,
                  consumers: Sequence[Present] = ()) -> ServiceReport:
    """One Service's report; with consumers, also where each of them routes it differently."""
    slices = list(slices)
    report = classify(service, slices, owners or OwnerIndex())
    if consumers:
        report.impact = service_impact(service, slices, consumers, [p.backends for p in report.ports])
    return report


def consumers_of(snapshot: Snapshot) -> list[Present]:
    """The consumers a snapshot's workloads run (from their images)."""
    return detect((*snapshot.deployments, *snapshot.statefulsets, *snapshot.daemonsets))


def audit_cluster(name: str, snapshot: Snapshot, consumers: Sequence[Present] | None = None) -> ClusterReport:
    """The cluster's report; consumers are the declared ones, else those its workloads run."""
    present = consumers_of(snapshot) if consumers is None else list(consumers)
    owners = OwnerIndex.of(snapshot)
    grouped = slices_by_service(snapshot.slices)
    services = sorted(snapshot.services, key=lambda s: (s.metadata.namespace, s.metadata.name))
    reports = [audit_service(svc, grouped.get((svc.metadata.namespace, svc.metadata.name), []), owners, present)
               for svc in services]
    errors = [ErrorEntry(e.object, e.message) for e in snapshot.errors]
    return ClusterReport(name, reports, errors, consumer_reports(present, reports))
