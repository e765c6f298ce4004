"""A cluster's snapshot for the audit: Services, EndpointSlices, and the owners root cause needs.

Owners: with `Owners.NEEDED` (the default) the Services and EndpointSlices are listed and
audited first; only the namespaces of Services with findings then have their Pods listed, and
their ReplicaSets only when some Pod there is owned by one (a ReplicaSet's ownerReference names
the Deployment; StatefulSets and DaemonSets own their Pods directly, so neither needs a list).
A namespace list is preferred over GETting each targetRef'd Pod: one request per namespace
instead of one per endpoint, and it also shows the *other* workloads a selector matches, which
the "selector matches several workloads" finding needs. Past `NAMESPACE_LIST_MAX` namespaces
one cluster-wide list is cheaper than many small ones. `Owners.ALL` lists Pods, ReplicaSets,
Deployments, StatefulSets and DaemonSets cluster-wide; `Owners.NONE` skips root cause.
"""

from __future__ import annotations

from collections.abc import Iterable

from sliceaudit.api.decode import Rejected
from sliceaudit.api.kinds import AUDITED, CONSUMER_WORKLOADS
from sliceaudit.api.kinds import OWNERS as OWNER_KINDS
from sliceaudit.api.records import Record
from sliceaudit.api.snapshot import Snapshot
from sliceaudit.audit.cluster import audit_cluster
from sliceaudit.audit.report import ClusterReport, ServiceReport
from sliceaudit.audit.terms import Status
from sliceaudit.kube.client import KubeClient
from sliceaudit.kube.errors import ClusterError
from sliceaudit.kube.pages import ListOptions, list_kind
from sliceaudit.kube.resources import resource
from sliceaudit.live.owners import Owners

NAMESPACE_LIST_MAX = 20


def fetch_snapshot(client: KubeClient, *, owners: Owners = Owners.NEEDED,
                   listing: ListOptions = ListOptions()) -> Snapshot:
    """Services and EndpointSlices, plus the Pods and owners root cause needs (see module doc)."""
    base = _gather(client, AUDITED, None, listing)
    if owners == Owners.ALL:
        return base.merge(_gather_owners(client, OWNER_KINDS, [None], listing))
    base = base.merge(consumer_workloads(client, listing))   # which proxies run
    if owners == Owners.NONE:
        return base
    namespaces = {ns for ns, _ in _problems(audit_cluster(client.name, base))}
    return base.merge(needed_owners(client, namespaces, listing)) if namespaces else base


def needs_root_cause(service: ServiceReport) -> bool:
    """Services that are not ok or have findings: those root cause is for."""
    return service.status != Status.OK or bool(service.findings)


def _problems(report: ClusterReport) -> set[tuple[str, str]]:
    return {(s.namespace, s.name) for s in report.services if needs_root_cause(s)}


def needed_owners(client: KubeClient, namespaces: set[str], listing: ListOptions) -> Snapshot:
    """Pods of these namespaces, and their ReplicaSets where some Pod has one."""
    scopes: list[str | None] = [None] if len(namespaces) > NAMESPACE_LIST_MAX else sorted(namespaces)
    pods = _gather_owners(client, ("Pod",), scopes, listing)
    rs_namespaces = sorted({p.metadata.namespace for p in pods.pods
                            if (ref := p.metadata.controller) is not None and ref.kind == "ReplicaSet"})
    if not rs_namespaces:
        return pods
    rs_scopes = [None] if scopes == [None] else rs_namespaces
    return pods.merge(_gather_owners(client, ("ReplicaSet",), rs_scopes, listing))


def _gather(client: KubeClient, kinds: Iterable[str], namespace: str | None, listing: ListOptions) -> Snapshot:
    records: list[Record] = []
    errors: list[Rejected] = []
    for kind in kinds:
        listed = list_kind(client, kind, namespace, listing=listing)
        records.extend(listed.items)
        errors.extend(listed.errors)
    return Snapshot.of(records, errors)


def consumer_workloads(client: KubeClient, listing: ListOptions) -> Snapshot:
    """Deployments, StatefulSets and DaemonSets cluster-wide: their images say which proxies run."""
    return _gather_owners(client, CONSUMER_WORKLOADS, [None], listing,
                          cost="the proxies it runs cannot be detected (give --consumer)")


def _gather_owners(client: KubeClient, kinds: Iterable[str], scopes: list[str | None], listing: ListOptions,
                   cost: str = "findings cannot name workloads here") -> Snapshot:
    """Owner lists are best effort: a kind we may not read costs root cause (or detection), not the audit."""
    result = Snapshot()
    for kind in kinds:
        for ns in scopes:
            try:
                result = result.merge(_gather(client, (kind,), ns, listing))
            except ClusterError as err:
                if err.reason not in ("forbidden", "notfound"):
                    raise
                result = result.merge(Snapshot(errors=(Rejected(resource(kind).resource, f"{err}; {cost}"),)))
    return result
