"""Manifests -> the Pods their workloads run -> the slices the controllers write -> the audit.

What a cluster would report once rendered manifests (`helm template`, `kustomize build`, plain
YAML) are applied: the same findings and root cause as a live scan, before anything is
deployed. Pure: the caller parses files (and lists live clusters) and passes objects in.

What the API server would add is added here, once: the namespace (`--namespace`, as kubectl
apply does), a clusterIP for a Service that asks for one, `ipFamilies` from the clusterIP's
family (IPv4 when none is set, a single-stack IPv4 cluster's default), and a healthy kubelet's
view of every Pod (Running, Ready, one IPv4 and one IPv6 address on one Node).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from msgspec.structs import replace

from sliceaudit.api.decode import Rejected, decode_documents
from sliceaudit.api.kinds import PREDICTED
from sliceaudit.api.objects import Endpoints, Pod, Service, decode, to_api
from sliceaudit.api.records import ReplicaSet, describe
from sliceaudit.api.snapshot import Snapshot
from sliceaudit.audit.cluster import audit_cluster
from sliceaudit.audit.report import ClusterReport
from sliceaudit.controller import endpointslice, mirroring
from sliceaudit.controller.workloads import Run, run

NODE = "predicted-node"
_NODES = {NODE: decode("Node", {"metadata": {"name": NODE, "labels": {"topology.kubernetes.io/zone": "predicted"}}})}

Key = tuple[str, str, str]  # (kind, namespace, name)


@dataclass(frozen=True)
class Manifest:
    """One object of the input and where it was written."""

    body: Any
    source: str = ""
    line: int = 1


@dataclass(frozen=True)
class Prediction:
    report: ClusterReport
    # (kind, namespace, name) of each Service and workload -> (file, line); a CronJob's Job maps to it too
    locations: dict[Key, tuple[str, int]] = field(default_factory=dict)
    runs: tuple[Run, ...] = ()


class _Addresses:
    """Pod addresses from the documentation ranges' neighbours, one of each family a Pod."""

    def __init__(self):
        self._n = itertools.count(1)

    def __call__(self) -> tuple[str, str]:
        n = next(self._n)
        return f"100.{64 + (n >> 16) % 64}.{(n >> 8) & 255}.{n & 255}", f"fd00:100::{n:x}"


def service_defaults(service: Service, serial: int) -> Service:
    """What the API server fills in on create: a clusterIP (unless headless or ExternalName), ipFamilies."""
    spec = service.spec
    ip = spec.cluster_ip
    if spec.type != "ExternalName" and not ip:
        ip = f"10.96.{(serial >> 8) & 255}.{serial & 255}"
    families = spec.ip_families
    if not families and spec.type != "ExternalName":
        families = ("IPv6",) if ip and ":" in ip else ("IPv4",)
    return replace(service, spec=replace(spec, cluster_ip=ip, ip_families=families))


def _names() -> endpointslice.Names:
    counter = itertools.count(1)
    return lambda prefix: f"{prefix}{next(counter):05d}"


def predict(manifests: Iterable[Manifest], *, namespace: str = "default", cluster: str = "manifests",
            live: Mapping[str, Iterable[Mapping]] | None = None, unreadable: Iterable[Rejected] = ()) -> Prediction:
    """The audit of the cluster the manifests (plus `live` objects by kind) would make; `unreadable`
    are the parts of the input that did not parse, reported among the errors."""
    errors: list[Rejected] = list(unreadable)
    locations: dict[Key, tuple[str, int]] = {}
    services: dict[tuple[str, str], Service] = {}
    endpoints: list[Endpoints] = []
    runners: list[tuple[Any, str]] = []
    live_pods: list[Pod] = []
    owner_documents: list[tuple[str, Any]] = []
    live_slices: list[dict] = []
    for kind, objs in (live or {}).items():
        for obj in objs:
            if kind == "EndpointSlice":
                live_slices.append({"kind": kind, **obj})
                continue
            if kind not in ("Service", "Pod", "Endpoints"):
                owner_documents.append((describe(kind, obj.get("metadata")), {"kind": kind, **obj}))
                continue
            record = _decode(kind, obj, "", errors)
            if isinstance(record, Service):
                services[(record.metadata.namespace, record.metadata.name)] = record
            elif isinstance(record, Pod):
                live_pods.append(record)
            elif isinstance(record, Endpoints):
                endpoints.append(record)
    for m in manifests:
        body = m.body
        if not isinstance(body, Mapping):
            errors.append(Rejected(f"{m.source}:{m.line}", f"not an object but {type(body).__name__}"))
            continue
        kind = body.get("kind")
        if kind not in PREDICTED:
            continue
        record = _decode(kind, body, namespace, errors, f" ({m.source}:{m.line})")
        if record is None:
            continue
        ns = record.metadata.namespace
        locations[(kind, ns, record.metadata.name)] = (m.source, m.line)
        if kind == "CronJob":
            locations[("Job", ns, record.metadata.name)] = (m.source, m.line)
        if isinstance(record, Service):
            services[(ns, record.metadata.name)] = record
        elif isinstance(record, Endpoints):
            endpoints.append(record)
        else:
            runners.append((record, ns))

    addresses = _Addresses()
    runs = tuple(run(record, ns, [NODE], addresses) for record, ns in runners)
    # A workload in the manifests replaces the live one of the same name: its live Pods go.
    replaced = {(r.kind, r.namespace, r.name) for r in runs}
    # Live owners (ReplicaSets, workloads) go to the audit as they are, decoded once here.
    owners, unfit_owners = decode_documents(owner_documents)
    rs_owner = {(o.metadata.namespace, o.metadata.name): (up.kind, up.name) for o in owners
                if isinstance(o, ReplicaSet) and (up := o.metadata.controller) is not None}
    live_pods = [p for p in live_pods if _live_workload(p, rs_owner) not in replaced]
    pods_by_ns: dict[str, list[Pod]] = {}
    for pod in itertools.chain(live_pods, (p for r in runs for p in r.pods)):
        pods_by_ns.setdefault(pod.metadata.namespace, []).append(pod)

    # Live pods run on Nodes that exist (predict lists no Nodes; their zones stay unknown).
    nodes = dict(_NODES)
    for pod in live_pods:
        if pod.spec.node_name and pod.spec.node_name not in nodes:
            nodes[pod.spec.node_name] = decode("Node", {"metadata": {"name": pod.spec.node_name}})
    documents: list[tuple[str, Any]] = []
    names = _names()
    for serial, ((ns, name), svc) in enumerate(sorted(services.items()), 1):
        svc = service_defaults(svc, serial)
        documents.append((describe("Service", {"namespace": ns, "name": name}), {"kind": "Service", **to_api(svc)}))
        for s in endpointslice.reconcile(svc, pods_by_ns.get(ns, []), nodes, [], names):
            documents.append((f"EndpointSlice {ns}/{s.metadata.name}", to_api(s)))
    # A live selector-less Service keeps the slices someone else writes for it (the controller writes none).
    mirrored = {(e.metadata.namespace, e.metadata.name) for e in endpoints}
    for body in live_slices:
        meta = body.get("metadata") if isinstance(body.get("metadata"), Mapping) else {}
        owner = (meta.get("namespace"), (meta.get("labels") or {}).get("kubernetes.io/service-name"))
        svc = services.get(owner)
        if svc is not None and svc.selector is None and owner not in mirrored:
            documents.append((describe("EndpointSlice", meta), body))
    for ep in endpoints:
        svc = services.get((ep.metadata.namespace, ep.metadata.name))
        for s in mirroring.mirror(ep, svc, [], names):
            documents.append((f"EndpointSlice {ep.metadata.namespace}/{s.metadata.name}", to_api(s)))
    for pod in itertools.chain.from_iterable(pods_by_ns.values()):
        documents.append((f"Pod {pod.metadata.namespace}/{pod.metadata.name}", {"kind": "Pod", **to_api(pod)}))
    for r in runs:
        for owner in r.owners:
            documents.append((f"{owner.kind} {r.namespace}/{owner.metadata.name}", to_api(owner)))
    records, rejected = decode_documents(documents)
    report = audit_cluster(cluster, Snapshot.of([*records, *owners], [*errors, *rejected, *unfit_owners]))
    return Prediction(report, locations, runs)


def _live_workload(pod: Pod, rs_owner: Mapping[tuple[str, str], tuple[str, str]]) -> Key:
    """(kind, namespace, name) of the workload a live Pod belongs to, through its ReplicaSet."""
    ns = pod.metadata.namespace
    ref = pod.metadata.controller
    if ref is None:
        return ("Pod", ns, pod.metadata.name)
    kind, name = rs_owner.get((ns, ref.name), (ref.kind, ref.name)) if ref.kind == "ReplicaSet" else (ref.kind,
                                                                                                     ref.name)
    return (kind, ns, name)


def _decode(kind: str, body: Mapping, namespace: str, errors: list[Rejected], where: str = "") -> Any:
    meta = body.get("metadata")
    try:
        record = decode(kind, body)
    except ValueError as err:
        errors.append(Rejected(describe(kind, meta) + where, str(err)))
        return None
    if not record.metadata.name:
        errors.append(Rejected(describe(kind, meta) + where, "metadata.name is missing"))
        return None
    if not record.metadata.namespace and namespace:
        record = replace(record, metadata=replace(record.metadata, namespace=namespace))
    return record

