"""The Kubernetes objects the EndpointSlice controllers read and write, as immutable records.

The controller model needs more of each object than the audit does (pod status, deletion,
node, IP families, Endpoints subsets), so these records are its own; they decode straight
from API JSON or manifests with `decode` and encode back with `to_api`. The nil rules the
controllers apply live here as properties: an absent protocol is TCP, an absent targetPort is
the Service port (the API server's defaulting), `selector: {}` is no selector (protobuf storage
drops an empty map, so the controller's `Selector == nil` check sees nil).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from msgspec import Struct, field

from sliceaudit.api.kinds import WORKLOADS

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
HEADLESS_LABEL = "service.kubernetes.io/headless"
SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror"
ZONE_LABEL = "topology.kubernetes.io/zone"
LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"


class _Record(Struct, frozen=True, rename="camel", kw_only=True, omit_defaults=True, gc=False):
    """Immutable, camelCase on the wire, unknown fields ignored, defaults left out when encoded."""


class OwnerReference(_Record):
    api_version: str = ""
    kind: str = ""
    name: str = ""
    uid: str = ""
    controller: bool | None = None
    block_owner_deletion: bool | None = None


class ObjectMeta(_Record):
    name: str = ""
    generate_name: str | None = None
    namespace: str = ""
    uid: str = ""
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    deletion_timestamp: str | None = None
    owner_references: tuple[OwnerReference, ...] | None = None


# --- v1 Pod --------------------------------------------------------------------------------


class ContainerPort(_Record):
    name: str | None = None
    container_port: int = 0
    protocol: str = "TCP"


class Container(_Record):
    name: str = ""
    ports: tuple[ContainerPort, ...] | None = None
    restart_policy: str | None = None


class PodSpec(_Record):
    containers: tuple[Container, ...] | None = None
    init_containers: tuple[Container, ...] | None = None
    node_name: str | None = None
    hostname: str | None = None
    subdomain: str | None = None


class PodCondition(_Record):
    type: str = ""
    status: str = ""


class PodIP(_Record):
    ip: str = ""


class PodStatus(_Record):
    phase: str | None = None
    pod_ip: str | None = field(default=None, name="podIP")
    pod_ips: tuple[PodIP, ...] | None = field(default=None, name="podIPs")
    conditions: tuple[PodCondition, ...] | None = None


class Pod(_Record):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: PodSpec = field(default_factory=PodSpec)
    status: PodStatus = field(default_factory=PodStatus)

    @property
    def ready(self) -> bool:
        """IsPodReady: the Ready condition is True."""
        return any(c.type == "Ready" and c.status == "True" for c in self.status.conditions or ())

    @property
    def terminating(self) -> bool:
        return self.metadata.deletion_timestamp is not None

    @property
    def terminal(self) -> bool:
        return self.status.phase in ("Succeeded", "Failed")


# --- workloads: what their pod templates say -------------------------------------------------


class PodTemplate(_Record):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: PodSpec = field(default_factory=PodSpec)


class WorkloadSpec(_Record):
    """The spec fields of Deployment, StatefulSet, DaemonSet, ReplicaSet and Job that shape their pods."""

    replicas: int | None = None
    parallelism: int | None = None
    service_name: str | None = None
    template: PodTemplate = field(default_factory=PodTemplate)


class JobTemplate(_Record):
    spec: WorkloadSpec = field(default_factory=WorkloadSpec)


class CronJobSpec(_Record):
    job_template: JobTemplate = field(default_factory=JobTemplate)


class Workload(_Record):
    """A Deployment, StatefulSet, DaemonSet, ReplicaSet or Job (`kind` tells which)."""

    kind: str = ""
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: WorkloadSpec = field(default_factory=WorkloadSpec)


class CronJob(_Record):
    kind: str = "CronJob"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: CronJobSpec = field(default_factory=CronJobSpec)


# --- v1 Node -------------------------------------------------------------------------------


class Node(_Record):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)

    @property
    def zone(self) -> str | None:
        return (self.metadata.labels or {}).get(ZONE_LABEL) or None


# --- v1 Service ----------------------------------------------------------------------------


class ServicePort(_Record):
    name: str = ""
    protocol: str = "TCP"
    app_protocol: str | None = None
    port: int = 0
    target_port: int | str | None = None

    @property
    def target(self) -> int | str:
        """The targetPort, defaulted to the port as the API server does when it is absent, 0 or ""."""
        return self.target_port if self.target_port not in (None, 0, "") else self.port


class ServiceSpec(_Record):
    type: str | None = None
    selector: dict[str, str] | None = None
    ports: tuple[ServicePort, ...] | None = None
    cluster_ip: str | None = field(default=None, name="clusterIP")
    ip_families: tuple[str, ...] | None = None
    publish_not_ready_addresses: bool = False


class Service(_Record):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ServiceSpec = field(default_factory=ServiceSpec)

    @property
    def ports(self) -> tuple[ServicePort, ...]:
        return self.spec.ports or ()

    @property
    def selector(self) -> dict[str, str] | None:
        """None for an absent or empty selector: the Service selects no pods."""
        return self.spec.selector or None

    @property
    def headless(self) -> bool:
        """isServiceIPSet is false: clusterIP None or unset."""
        return self.spec.cluster_ip in (None, "", "None")

    def selects(self, pod: Pod) -> bool:
        selector = self.selector
        if selector is None or pod.metadata.namespace != self.metadata.namespace:
            return False
        labels = pod.metadata.labels or {}
        return all(labels.get(k) == v for k, v in selector.items())


# --- v1 Endpoints --------------------------------------------------------------------------


class ObjectReference(_Record):
    kind: str = ""
    namespace: str = ""
    name: str = ""
    uid: str = ""


class EndpointAddress(_Record):
    ip: str = ""
    hostname: str | None = None
    node_name: str | None = None
    target_ref: ObjectReference | None = None


class EndpointsPort(_Record):
    name: str = ""
    port: int = 0
    protocol: str = "TCP"
    app_protocol: str | None = None


class EndpointSubset(_Record):
    addresses: tuple[EndpointAddress, ...] | None = None
    not_ready_addresses: tuple[EndpointAddress, ...] | None = None
    ports: tuple[EndpointsPort, ...] | None = None


class Endpoints(_Record):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    subsets: tuple[EndpointSubset, ...] | None = None


# --- discovery.k8s.io/v1 EndpointSlice, as the controllers write it -------------------------


class EndpointPort(_Record):
    name: str | None = None
    protocol: str | None = None
    port: int | None = None
    app_protocol: str | None = None


class EndpointConditions(_Record):
    ready: bool | None = None
    serving: bool | None = None
    terminating: bool | None = None


class Endpoint(_Record):
    addresses: tuple[str, ...] = ()
    conditions: EndpointConditions = field(default_factory=EndpointConditions)
    hostname: str | None = None
    target_ref: ObjectReference | None = None
    node_name: str | None = None
    zone: str | None = None


class EndpointSlice(_Record):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    address_type: str = "IPv4"
    # None where the controller wrote an empty list: the API server's protobuf storage drops
    # empty lists, so every reader sees `null` (the `ports: null` this product is about).
    endpoints: tuple[Endpoint, ...] | None = None
    ports: tuple[EndpointPort, ...] | None = None


KINDS: dict[str, type] = {"Pod": Pod, "Node": Node, "Service": Service, "Endpoints": Endpoints,
                          "EndpointSlice": EndpointSlice, "CronJob": CronJob,
                          **{kind: Workload for kind in WORKLOADS}}


def decode(kind: str, obj: Mapping[str, Any]):
    """One API object (a parsed mapping) as a record; raises ValueError naming what does not fit."""
    try:
        return msgspec.convert(obj, KINDS[kind], strict=True)
    except msgspec.ValidationError as err:
        raise ValueError(str(err)) from None


def to_api(record: Struct) -> dict:
    """The record as API JSON (a dict), absent fields left out, `null` lists kept as null."""
    out = msgspec.json.decode(msgspec.json.encode(record))  # lists, not the records' tuples
    if isinstance(record, EndpointSlice):
        out = {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1", **out,
               "addressType": record.address_type, "endpoints": out.get("endpoints"), "ports": out.get("ports")}
    return out
