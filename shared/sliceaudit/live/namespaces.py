"""One cluster's audit straight from its API, namespace by namespace.

A paginated list comes in key order (`<namespace>/<name>`: a continue token is the last key read),
so each namespace's EndpointSlices arrive together. Its Services are audited as soon as the list
moves on to the next namespace and its slices are dropped, except those of Services with findings
(root cause needs them again): memory holds one namespace's slices, not the cluster's. A server
that breaks the order gets the whole list held, as `fetch_snapshot` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sliceaudit.api.decode import Rejected
from sliceaudit.api.records import EndpointSlice, Service
from sliceaudit.audit.cluster import audit_cluster, audit_service, consumers_of, slices_by_service
from sliceaudit.audit.impact import consumer_reports
from sliceaudit.audit.owners import OwnerIndex
from sliceaudit.audit.report import ClusterReport, ErrorEntry, ServiceReport
from sliceaudit.consumers.detect import Present
from sliceaudit.kube.client import KubeClient
from sliceaudit.kube.pages import ListOptions, iter_pages, list_kind
from sliceaudit.live.fetch import consumer_workloads, fetch_snapshot, needed_owners, needs_root_cause
from sliceaudit.live.owners import Owners

ServiceKey = tuple[str, str]


class OutOfOrder(Exception):
    """A namespace's slices came back after the list had moved past it."""


class NamespaceStream:
    """Audits the Services of each namespace once the list has moved past its slices."""

    def __init__(self, services: Iterable[Service], consumers: Sequence[Present] = ()):
        self._consumers = consumers
        self._services: dict[str, list[Service]] = {}
        for svc in services:
            self._services.setdefault(svc.metadata.namespace, []).append(svc)
        self.reset()

    def reset(self) -> None:
        self.reports: dict[ServiceKey, ServiceReport] = {}
        self.kept: dict[ServiceKey, tuple[Service, list[EndpointSlice]]] = {}   # for root cause
        self._done: set[str] = set()
        self._namespace: str | None = None
        self._slices: list[EndpointSlice] = []

    def add(self, slices: Iterable[EndpointSlice]) -> None:
        for s in slices:
            ns = s.metadata.namespace
            if ns != self._namespace:
                self._close_namespace()
                if ns in self._done:
                    raise OutOfOrder(ns)
                self._namespace = ns
            self._slices.append(s)

    def finish(self) -> list[ServiceReport]:
        """Every Service's report, in (namespace, name) order; Services without slices included."""
        self._close_namespace()
        for ns in self._services.keys() - self._done:
            self._namespace = ns
            self._close_namespace()
        return [self.reports[key] for key in sorted(self.reports)]

    def _close_namespace(self) -> None:
        ns = self._namespace
        if ns is None:
            return
        grouped = slices_by_service(self._slices)
        for svc in self._services.get(ns, ()):
            key = (ns, svc.metadata.name)
            slices = grouped.get(key, [])
            report = self.reports[key] = audit_service(svc, slices, consumers=self._consumers)
            if needs_root_cause(report):
                self.kept[key] = (svc, slices)
        self._done.add(ns)
        self._namespace, self._slices = None, []


def audit_live(client: KubeClient, name: str, *, owners: Owners = Owners.NEEDED, listing: ListOptions = ListOptions(),
               consumers: Sequence[Present] | None = None) -> ClusterReport:
    """`audit_cluster(name, fetch_snapshot(...))` in a fraction of the memory: slices are audited per
    namespace as they arrive, and with Owners.NEEDED only the Services with findings are audited
    again, with their namespaces' Pods and owners (owners only name the workloads behind findings).
    Consumers are the declared ones, else those the cluster's workload images name."""
    if owners == Owners.ALL:
        return audit_cluster(name, fetch_snapshot(client, owners=owners, listing=listing), consumers)
    detection_errors: tuple[Rejected, ...] = ()
    if consumers is None:
        workloads = consumer_workloads(client, listing)
        consumers, detection_errors = consumers_of(workloads), workloads.errors
    services = list_kind(client, "Service", listing=listing)
    stream = NamespaceStream(services.items, consumers)
    slice_errors: list[Rejected] = []
    try:
        for page in iter_pages(client, "EndpointSlice", listing=listing):
            if page is None:   # the list restarted: what came before is not part of its snapshot
                stream.reset()
                slice_errors = []
                continue
            stream.add(page.items)
            slice_errors.extend(page.errors)
            del page   # the next page decodes while this one's closed namespaces are already freed
    except OutOfOrder:
        return audit_cluster(name, fetch_snapshot(client, owners=owners, listing=listing), consumers)
    reports = stream.finish()
    errors = [ErrorEntry(e.object, e.message) for e in (*services.errors, *slice_errors, *detection_errors)]
    if owners == Owners.NONE or not stream.kept:
        return ClusterReport(name, reports, errors, consumer_reports(consumers, reports))
    extra = needed_owners(client, {ns for ns, _ in stream.kept}, listing)
    index = OwnerIndex.of(extra)
    again = {key: audit_service(svc, slices, index, consumers) for key, (svc, slices) in stream.kept.items()}
    services_out = [again.get((s.namespace, s.name), s) for s in reports]
    return ClusterReport(name, services_out, errors + [ErrorEntry(e.object, e.message) for e in extra.errors],
                         consumer_reports(consumers, services_out))
