"""Who runs an endpoint: targetRef -> Pod -> ReplicaSet -> Deployment (or StatefulSet, DaemonSet)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sliceaudit.api.records import Endpoint, Pod
from sliceaudit.api.snapshot import Snapshot


@dataclass(frozen=True, order=True)
class Workload:
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass(frozen=True)
class OwnerIndex:
    """Who owns which Pod, indexed for root cause; empty when the snapshot carries no Pods."""

    pods: dict[tuple[str, str], Pod] = field(default_factory=dict)
    pods_by_namespace: dict[str, list[Pod]] = field(default_factory=dict)
    # (namespace, ReplicaSet name) -> its controller (kind, name), e.g. ("Deployment", "web")
    replicaset_owner: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, snapshot: Snapshot) -> OwnerIndex:
        pods = {(p.metadata.namespace, p.metadata.name): p for p in snapshot.pods}
        by_ns: dict[str, list[Pod]] = {}
        for pod in snapshot.pods:
            by_ns.setdefault(pod.metadata.namespace, []).append(pod)
        rs_owner = {}
        for rs in snapshot.replicasets:
            ref = rs.metadata.controller
            if ref is not None:
                rs_owner[(rs.metadata.namespace, rs.metadata.name)] = (ref.kind, ref.name)
        return cls(pods, by_ns, rs_owner)

    @property
    def known(self) -> bool:
        return bool(self.pods)

    def pod_of(self, endpoint: Endpoint, namespace: str) -> Pod | None:
        ref = endpoint.target_ref
        if ref is None or ref.kind != "Pod":
            return None
        return self.pods.get((ref.namespace or namespace, ref.name))

    def workload_of(self, pod: Pod) -> Workload:
        ns = pod.metadata.namespace
        ref = pod.metadata.controller
        if ref is None:
            return Workload("Pod", ns, pod.metadata.name)
        if ref.kind == "ReplicaSet":
            owner = self.replicaset_owner.get((ns, ref.name))
            if owner is not None:
                return Workload(owner[0], ns, owner[1])
        return Workload(ref.kind, ns, ref.name)

    def selected_pods(self, namespace: str, selector: dict[str, str] | None) -> list[Pod]:
        """Pods a Service selector matches (equality-based, as Service selectors are)."""
        if not selector:
            return []
        items = selector.items()
        return [p for p in self.pods_by_namespace.get(namespace, ())
                if p.metadata.labels and items <= p.metadata.labels.items()]
