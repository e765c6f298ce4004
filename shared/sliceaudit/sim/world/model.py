"""The simulator's own picture of a cluster: workloads, pods, Services, hand-made slices."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ContainerPort:
    name: str
    number: int
    protocol: str = "TCP"


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    ports: tuple[ContainerPort, ...]
    # A native sidecar: an initContainer with restartPolicy Always, whose named ports Services may target.
    sidecar: bool = False


@dataclass(frozen=True)
class Template:
    """A pod template: what a rollout changes."""

    containers: tuple[Container, ...]

    def find_port(self, name: str, protocol: str) -> int | None:
        """The EndpointSlice controller's FindPort: app containers first, then native sidecars."""
        for sidecar in (False, True):
            for c in self.containers:
                if c.sidecar != sidecar:
                    continue
                for p in c.ports:
                    if p.name == name and p.protocol == protocol:
                        return p.number
        return None


@dataclass
class Pod:
    name: str
    uid: str
    namespace: str
    labels: dict[str, str]
    template: Template
    owner_kind: str
    owner_name: str
    owner_uid: str
    workload: tuple[str, str]  # (kind, name) of the Deployment, StatefulSet or DaemonSet
    node: str
    zone: str
    ip4: str
    ip6: str | None
    created: int
    ready: bool = True
    ready_since: int = 0
    terminating: bool = False
    deleted_at: int | None = None
    # StatefulSet pods: hostname = pod name, subdomain = the governing headless Service.
    subdomain: str | None = None
    # Pending (not scheduled: no node, no IP), Running, Succeeded or Failed (e.g. evicted; keeps its IP).
    phase: str = "Running"
    # Terminating for good (a finalizer nobody removes): never reaped, its IP handed to a new pod.
    stuck: bool = False

    @property
    def terminal(self) -> bool:
        return self.phase in ("Succeeded", "Failed")


@dataclass
class ReplicaSet:
    name: str
    uid: str
    pod_hash: str
    revision: int
    template: Template
    created: int
    replicas: int = 0


@dataclass
class Workload:
    kind: str  # Deployment, StatefulSet, DaemonSet
    namespace: str
    name: str
    uid: str
    labels: dict[str, str]  # pod labels; the workload's selector matches them all
    template: Template
    replicas: int
    created: int
    generation: int = 1
    pods: list[Pod] = field(default_factory=list)
    replicasets: list[ReplicaSet] = field(default_factory=list)
    # Set by break_service, so fix_service knows what to undo.
    canary_of: tuple[str, str] | None = None
    original_template: Template | None = None
    # A gradual rollout in progress (churn): pods of older templates are replaced one per step.
    rolling: bool = False
    # Set by the "drain" breakage: the replicas to scale back to.
    drained_from: int | None = None


@dataclass(frozen=True)
class ServicePort:
    name: str
    port: int
    target: int | str
    protocol: str = "TCP"
    app_protocol: str | None = None


@dataclass
class HandSlice:
    """A slice written by someone other than the EndpointSlice controller (selector-less Services)."""

    name: str
    uid: str
    address_type: str
    ports: list[dict] | None  # raw entries as the operator wrote them
    addresses: list[str]
    created: int
    manager: str


@dataclass
class EndpointsSubset:
    """One subset of an Endpoints object someone maintains by hand for a selector-less Service."""

    addresses: list[str]
    not_ready: list[str]
    ports: list[dict]  # raw EndpointPort entries; empty: mirrored as ports: null


@dataclass
class Service:
    namespace: str
    name: str
    uid: str
    ports: tuple[ServicePort, ...]
    selector: dict[str, str] | None
    cluster_ip: str | None  # None = headless
    cluster_ip6: str | None
    dual_stack: bool
    created: int
    labels: dict[str, str]
    kind: str  # what the generator meant to build, e.g. "web", "split-selector"
    hand_slices: list[HandSlice] = field(default_factory=list)
    # How it was broken, for fix_service; None when healthy.
    broken: str | None = None
    original_hand_ports: list | None = None
    publish_not_ready: bool = False
    ipv6_only: bool = False
    # An Endpoints object of the same name (selector-less Services): the mirroring controller copies it.
    endpoints: list[EndpointsSubset] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    @property
    def address_types(self) -> tuple[str, ...]:
        if self.ipv6_only:
            return ("IPv6",)
        return ("IPv4", "IPv6") if self.dual_stack else ("IPv4",)

    @property
    def headless(self) -> bool:
        return self.cluster_ip is None


def selects(selector: dict[str, str] | None, labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())
