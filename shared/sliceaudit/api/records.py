"""Immutable records of the Kubernetes objects sliceaudit reads, decoded straight from API JSON.

Only the fields the audit and the consumer models read are declared; msgspec skips the rest
(managedFields, status, ...) while decoding. The controller model's records (api/objects.py)
build on these, adding what only the controllers read and write. The API's nil rules live here,
as defaults and properties, and nowhere else: an absent protocol is TCP, an absent port name is
"", an absent targetPort is the Service port, absent or empty slice ports mean "no ports", an
absent ready or serving condition means true, an absent terminating condition means false
(kube-proxy's reading: pkg/proxy/endpointslicecache.go, addEndpoints).
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from msgspec import Meta, Struct, field

PortNumber = Annotated[int, Meta(ge=0, le=65535)]

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
SLICE_CONTROLLER = "endpointslice-controller.k8s.io"
# The address types kube-proxy reads (one proxier per IP family); FQDN slices it never reads.
PROXIED_ADDRESS_TYPES = ("IPv4", "IPv6")


# gc=False: records hold plain data and can never form a cycle; tracking millions of them made the
# cyclic garbage collector cost three times the decode itself (20k slices: 2.0 s -> 0.6 s).
# omit_defaults: encoded (the controller model's output), absent fields stay absent.
class ApiRecord(Struct, frozen=True, rename="camel", kw_only=True, omit_defaults=True, gc=False):
    """Base of every record: immutable, camelCase on the wire, unknown fields ignored."""


class OwnerReference(ApiRecord):
    kind: str = ""
    name: str = ""
    controller: bool | None = None


class ObjectMeta(ApiRecord):
    name: str = ""
    namespace: str = ""
    resource_version: str = ""
    labels: dict[str, str] | None = None
    owner_references: tuple[OwnerReference, ...] | None = None

    def label(self, key: str) -> str | None:
        return self.labels.get(key) if self.labels else None

    @property
    def controller(self) -> OwnerReference | None:
        """The owner that manages this object (controller: true), if any."""
        for ref in self.owner_references or ():
            if ref.controller:
                return ref
        return None


# --- discovery.k8s.io/v1 EndpointSlice ---------------------------------------------------


class EndpointPort(ApiRecord):
    name: str | None = None
    protocol: str | None = None
    port: PortNumber | None = None

    @property
    def key(self) -> tuple[str, str]:
        """(name, protocol) with the API's defaults: how consumers match a Service port."""
        return (self.name or "", self.protocol or "TCP")


class EndpointConditions(ApiRecord):
    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None


class ObjectReference(ApiRecord):
    kind: str = ""
    namespace: str = ""
    name: str = ""


class Endpoint(ApiRecord):
    addresses: tuple[str, ...] = ()
    conditions: EndpointConditions | None = None
    target_ref: ObjectReference | None = None

    @property
    def address(self) -> str | None:
        """The endpoint's identity: consumers use the first address."""
        return self.addresses[0] if self.addresses else None

    @property
    def ready(self) -> bool:
        """Absent ready means ready (the API's rule for consumers)."""
        return self.conditions is None or self.conditions.ready is not False

    @property
    def serving(self) -> bool:
        """Absent serving means serving."""
        return self.conditions is None or self.conditions.serving is not False

    @property
    def terminating(self) -> bool:
        """Absent terminating means not terminating."""
        return self.conditions is not None and self.conditions.terminating is True


class EndpointSlice(ApiRecord):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    address_type: Literal["IPv4", "IPv6", "FQDN"] = "IPv4"
    endpoints: tuple[Endpoint, ...] | None = None
    ports: tuple[EndpointPort, ...] | None = None

    @property
    def service_name(self) -> str | None:
        return self.metadata.label(SERVICE_NAME_LABEL)

    @property
    def has_ports(self) -> bool:
        """False for `ports: null`, an absent `ports` and `ports: []` alike."""
        return bool(self.ports)

    @property
    def proxied(self) -> bool:
        """kube-proxy reads IPv4 and IPv6 slices; FQDN slices never."""
        return self.address_type in PROXIED_ADDRESS_TYPES

    @property
    def managed_by(self) -> str | None:
        return self.metadata.label(MANAGED_BY_LABEL)


# --- v1 Service ----------------------------------------------------------------------------


class ServicePort(ApiRecord):
    name: str | None = None
    protocol: str | None = None
    port: PortNumber = 0
    target_port: int | str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.name or "", self.protocol or "TCP")

    @property
    def target(self) -> int | str:
        """The targetPort, defaulted to the port as the API server does when it is absent, 0 or ""."""
        return self.target_port if self.target_port not in (None, 0, "") else self.port

    @property
    def named_target_port(self) -> str | None:
        """The targetPort when it names a container port (the case that can leave pods out)."""
        target = self.target
        return target if isinstance(target, str) else None


# A headless Service's clusterIP: k8s.io/api core/v1 types.go `ClusterIPNone` (the controller, CoreDNS and
# the exporter's compact copies all test for it).
CLUSTER_IP_NONE = "None"


class ServiceSpec(ApiRecord):
    cluster_ip: str | None = field(default=None, name="clusterIP")   # consumers tell headless Services
    selector: dict[str, str] | None = None
    ports: tuple[ServicePort, ...] | None = None


class Service(ApiRecord):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ServiceSpec = field(default_factory=ServiceSpec)

    @property
    def ports(self) -> tuple[ServicePort, ...]:
        return self.spec.ports or ()


# --- v1 Pod and its owners -----------------------------------------------------------------


class ContainerPort(ApiRecord):
    name: str | None = None
    container_port: PortNumber = 0
    protocol: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """(name, protocol) with the API's defaults: how a named targetPort finds it."""
        return (self.name or "", self.protocol or "TCP")


class Container(ApiRecord):
    ports: tuple[ContainerPort, ...] | None = None
    restart_policy: str | None = None   # "Always" on an init container: a native sidecar


class PodSpec(ApiRecord):
    containers: tuple[Container, ...] | None = None
    init_containers: tuple[Container, ...] | None = None

    def container_ports(self) -> list[ContainerPort]:
        """Ports of the app containers, then of native sidecars (init containers that always restart)."""
        found = [p for c in self.containers or () for p in c.ports or ()]
        for c in self.init_containers or ():
            if c.restart_policy == "Always":
                found.extend(c.ports or ())
        return found


class Pod(ApiRecord):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: PodSpec = field(default_factory=PodSpec)

    def has_named_port(self, name: str, protocol: str) -> bool:
        return any(p.key == (name, protocol) for p in self.spec.container_ports())


class ReplicaSet(ApiRecord):
    """Only its metadata: root cause follows its controller ownerReference to the Deployment."""

    metadata: ObjectMeta = field(default_factory=ObjectMeta)


# --- workloads: only their images, which consumer detection reads (which proxy, which version) --


class ContainerImage(ApiRecord):
    image: str = ""


class TemplatePodSpec(ApiRecord):
    containers: tuple[ContainerImage, ...] | None = None
    init_containers: tuple[ContainerImage, ...] | None = None


class PodTemplateSpec(ApiRecord):
    spec: TemplatePodSpec = field(default_factory=TemplatePodSpec)


class WorkloadSpec(ApiRecord):
    template: PodTemplateSpec = field(default_factory=PodTemplateSpec)


class Workload(ApiRecord):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: WorkloadSpec = field(default_factory=WorkloadSpec)


class Deployment(Workload):
    """apps/v1 Deployment: a type of its own, so that a snapshot groups it and a finding names its kind."""


class StatefulSet(Workload):
    """apps/v1 StatefulSet: a type of its own, so that a snapshot groups it and a finding names its kind."""


class DaemonSet(Workload):
    """apps/v1 DaemonSet: a type of its own, so that a snapshot groups it and a finding names its kind."""


# --- list envelopes --------------------------------------------------------------------------


class ListMeta(ApiRecord):
    resource_version: str = ""
    continue_token: str | None = field(default=None, name="continue")


Record = EndpointSlice | Service | Pod | ReplicaSet | Deployment | StatefulSet | DaemonSet
RECORD_TYPES: dict[str, type] = {cls.__name__: cls for cls in get_args(Record)}   # by kind


def describe(kind: str, metadata: object) -> str:
    """`Kind namespace/name` for messages, from whatever metadata a broken object still has."""
    if isinstance(metadata, ObjectMeta):
        ns, name = metadata.namespace, metadata.name
    elif isinstance(metadata, dict):
        ns, name = metadata.get("namespace"), metadata.get("name")
        ns = ns if isinstance(ns, str) else ""
        name = name if isinstance(name, str) else ""
    else:
        ns, name = "", ""
    if not name:
        return f"{kind} (unnamed)"
    return f"{kind} {ns}/{name}" if ns else f"{kind} {name}"

