"""The Pods a workload's template would run, as the workload controllers create them.

Deployment -> ReplicaSet `<name>-<pod-template-hash>` -> Pods `<rs>-<5 chars>` with the
`pod-template-hash` label; ReplicaSet -> Pods; StatefulSet -> Pods `<name>-<ordinal>` with
hostname = pod name and subdomain = spec.serviceName (pkg/controller/statefulset
stateful_set_utils.go `newStatefulSetPod`, `initIdentity`); DaemonSet -> one Pod per Node;
Job -> spec.parallelism Pods; CronJob -> its jobTemplate's Job, named after the CronJob here;
Pod -> itself. Each Pod is then as a kubelet reports a healthy one: Running, Ready, with an
address of each family from `addresses`. Names are derived from the workload's, so the same
manifests always give the same Pods.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from msgspec.structs import replace

from sliceaudit.api.objects import (
    CronJob,
    ObjectMeta,
    OwnerReference,
    Pod,
    PodCondition,
    PodIP,
    PodSpec,
    PodStatus,
    PodTemplate,
    Workload,
)

# A bound on what one manifest can make the model build (replicas: 1000000 is a typo, not a plan).
MAX_PODS_PER_WORKLOAD = 1000
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery rand.String's
_READY = (PodCondition(type="Ready", status="True"),)

Addresses = Callable[[], Sequence[str]]  # the next Pod's IPs, one per family


@dataclass(frozen=True)
class Run:
    """What one workload runs: its Pods and the owner objects between them and it (ReplicaSets, Jobs)."""

    kind: str
    namespace: str
    name: str
    pods: tuple[Pod, ...]
    owners: tuple[Workload, ...] = ()


def suffix(seed: str, n: int) -> str:
    """n characters of the generateName alphabet, derived from seed."""
    digest = hashlib.blake2b(seed.encode(), digest_size=16).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:n])


def _owner(kind: str, name: str, uid: str, api_version: str) -> OwnerReference:
    return OwnerReference(api_version=api_version, kind=kind, name=name, uid=uid, controller=True,
                          block_owner_deletion=True)


def _uid(*parts: str) -> str:
    h = hashlib.blake2b("/".join(parts).encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def _pod(template: PodTemplate, namespace: str, name: str, owner: OwnerReference | None, node: str,
         addresses: Addresses, labels: dict[str, str] | None = None, spec: PodSpec | None = None) -> Pod:
    ips = tuple(addresses())
    meta = ObjectMeta(name=name, namespace=namespace, uid=_uid(namespace, "Pod", name),
                      labels={**(template.metadata.labels or {}), **(labels or {})},
                      owner_references=(owner,) if owner else None)
    spec = replace(spec or template.spec, node_name=node)
    status = PodStatus(phase="Running", pod_ip=ips[0] if ips else None,
                       pod_ips=tuple(PodIP(ip=ip) for ip in ips) or None, conditions=_READY)
    return Pod(metadata=meta, spec=spec, status=status)


def _count(value: int | None, default: int = 1) -> int:
    return max(0, min(MAX_PODS_PER_WORKLOAD, default if value is None else value))


def run(obj: Workload | CronJob | Pod, namespace: str, nodes: Sequence[str], addresses: Addresses) -> Run:
    """The Pods `obj` runs in `namespace` on `nodes` (names of Nodes; DaemonSets run one Pod on each)."""
    meta = obj.metadata
    name = meta.name
    uid = meta.uid or _uid(namespace, type(obj).__name__, name)
    node = nodes[0] if nodes else ""
    if isinstance(obj, Pod):
        pod = replace(obj, metadata=replace(meta, namespace=namespace, uid=uid))
        if obj.status.phase is None:
            pod = _pod(PodTemplate(metadata=meta, spec=obj.spec), namespace, name, None, obj.spec.node_name or node,
                       addresses)
        return Run("Pod", namespace, name, (pod,))
    if isinstance(obj, CronJob):
        job_spec = obj.spec.job_template.spec
        owner = _owner("CronJob", name, uid, "batch/v1")
        job = Workload(kind="Job", metadata=ObjectMeta(name=name, namespace=namespace, uid=_uid(namespace, "Job", name),
                                                       owner_references=(owner,)), spec=job_spec)
        inner = run(job, namespace, nodes, addresses)
        return Run("CronJob", namespace, name, inner.pods, (job,))
    spec = obj.spec
    template = spec.template
    kind = obj.kind
    if kind == "Deployment":
        pod_hash = suffix(f"{namespace}/{name}/{template}", 10)
        rs_name = f"{name}-{pod_hash}"
        rs = Workload(kind="ReplicaSet", metadata=ObjectMeta(
            name=rs_name, namespace=namespace, uid=_uid(namespace, "ReplicaSet", rs_name),
            labels={**(template.metadata.labels or {}), "pod-template-hash": pod_hash},
            owner_references=(_owner("Deployment", name, uid, "apps/v1"),)))
        owner = _owner("ReplicaSet", rs_name, rs.metadata.uid, "apps/v1")
        pods = tuple(_pod(template, namespace, f"{rs_name}-{suffix(f'{rs_name}/{i}', 5)}", owner, node, addresses,
                          {"pod-template-hash": pod_hash}) for i in range(_count(spec.replicas)))
        return Run(kind, namespace, name, pods, (rs,))
    if kind == "StatefulSet":
        owner = _owner(kind, name, uid, "apps/v1")
        pods = []
        for i in range(_count(spec.replicas)):
            pod_name = f"{name}-{i}"
            pod_spec = replace(template.spec, hostname=pod_name, subdomain=spec.service_name or None)
            pods.append(_pod(template, namespace, pod_name, owner, node, addresses,
                             {"statefulset.kubernetes.io/pod-name": pod_name, "apps.kubernetes.io/pod-index": str(i)},
                             pod_spec))
        return Run(kind, namespace, name, tuple(pods))
    if kind == "DaemonSet":
        owner = _owner(kind, name, uid, "apps/v1")
        pods = tuple(_pod(template, namespace, f"{name}-{suffix(f'{name}/{n}', 5)}", owner, n, addresses)
                     for n in nodes[:MAX_PODS_PER_WORKLOAD])
        return Run(kind, namespace, name, pods)
    if kind == "Job":
        owner = _owner(kind, name, uid, "batch/v1")
        labels = {"batch.kubernetes.io/job-name": name, "job-name": name}
        pods = tuple(_pod(template, namespace, f"{name}-{suffix(f'{name}/{i}', 5)}", owner, node, addresses, labels)
                     for i in range(_count(spec.parallelism)))
        return Run(kind, namespace, name, pods)
    # ReplicaSet
    owner = _owner(kind, name, uid, "apps/v1")
    pods = tuple(_pod(template, namespace, f"{name}-{suffix(f'{name}/{i}', 5)}", owner, node, addresses)
                 for i in range(_count(spec.replicas)))
    return Run(kind, namespace, name, pods)
