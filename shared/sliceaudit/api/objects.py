"""The Kubernetes objects the EndpointSlice controllers read and write: api records plus what only they need.

Each record here builds on the one of api/records.py that describes the same object and adds
the fields the controller model reads (pod status, deletion, node, IP families, uids, Endpoints
subsets) or writes (hostname, nodeName, zone, appProtocol, ownerReferences); the API's nil rules
stay in records.py. They decode from API JSON or manifests with `decode` and encode back with
`to_api`. The one rule only the controllers apply lives here: `selector: {}` is no selector
(protobuf storage drops an empty map, so the controller's `Selector == nil` check sees nil).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from msgspec import Struct, field

from sliceaudit.api import records
from sliceaudit.api.decode import MalformedObject, decode_object
from sliceaudit.api.kinds import KINDS as API_KINDS
from sliceaudit.api.kinds import WORKLOADS
from sliceaudit.api.records import ApiRecord

HEADLESS_LABEL = "service.kubernetes.io/headless"
SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror"
ZONE_LABEL = "topology.kubernetes.io/zone"
LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"


class OwnerReference(records.OwnerReference):
    api_version: str = ""
    uid: str = ""
    block_owner_deletion: bool | None = None


class ObjectMeta(records.ObjectMeta):
    uid: str = ""
    generate_name: str | None = None
    annotations: dict[str, str] | None = None
    deletion_timestamp: str | None = None
    owner_references: tuple[OwnerReference, ...] | None = None


# --- v1 Pod --------------------------------------------------------------------------------


class Container(records.Container):
    name: str = ""


class PodSpec(records.PodSpec):
    containers: tuple[Container, ...] | None = None
    init_containers: tuple[Container, ...] | None = None
    node_name: str | None = None
    hostname: str | None = None
    subdomain: str | None = None


class PodCondition(ApiRecord):
    type: str = ""
    status: str = ""


class PodIP(ApiRecord):
    ip: str = ""


class PodStatus(ApiRecord):
    phase: str | None = None
    pod_ip: str | None = field(default=None, name="podIP")
    pod_ips: tuple[PodIP, ...] | None = field(default=None, name="podIPs")
    conditions: tuple[PodCondition, ...] | None = None


class Pod(records.Pod):
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


class PodTemplate(records.PodTemplateSpec):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: PodSpec = field(default_factory=PodSpec)


class WorkloadSpec(records.WorkloadSpec):
    """The spec fields of Deployment, StatefulSet, DaemonSet, ReplicaSet and Job that shape their pods."""

    template: PodTemplate = field(default_factory=PodTemplate)
    replicas: int | None = None
    parallelism: int | None = None
    service_name: str | None = None


class Workload(records.Workload):
    """A Deployment, StatefulSet, DaemonSet, ReplicaSet or Job (`kind` tells which)."""

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: WorkloadSpec = field(default_factory=WorkloadSpec)
    kind: str = ""


class JobTemplate(ApiRecord):
    spec: WorkloadSpec = field(default_factory=WorkloadSpec)


class CronJobSpec(ApiRecord):
    job_template: JobTemplate = field(default_factory=JobTemplate)


class CronJob(ApiRecord):
    kind: str = "CronJob"
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: CronJobSpec = field(default_factory=CronJobSpec)


# --- v1 Node -------------------------------------------------------------------------------


class Node(ApiRecord):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)

    @property
    def zone(self) -> str | None:
        return self.metadata.label(ZONE_LABEL) or None


# --- v1 Service ----------------------------------------------------------------------------


class ServicePort(records.ServicePort):
    app_protocol: str | None = None


class ServiceSpec(records.ServiceSpec):
    ports: tuple[ServicePort, ...] | None = None
    type: str | None = None
    ip_families: tuple[str, ...] | None = None
    publish_not_ready_addresses: bool = False


class Service(records.Service):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ServiceSpec = field(default_factory=ServiceSpec)

    @property
    def selector(self) -> dict[str, str] | None:
        """None for an absent or empty selector: the Service selects no pods."""
        return self.spec.selector or None

    @property
    def headless(self) -> bool:
        """isServiceIPSet is false: clusterIP None or unset."""
        return self.spec.cluster_ip in (None, "", records.CLUSTER_IP_NONE)

    def selects(self, pod: Pod) -> bool:
        selector = self.selector
        if selector is None or pod.metadata.namespace != self.metadata.namespace:
            return False
        labels = pod.metadata.labels or {}
        return all(labels.get(k) == v for k, v in selector.items())


# --- v1 Endpoints --------------------------------------------------------------------------


class ObjectReference(records.ObjectReference):
    uid: str = ""


class EndpointAddress(ApiRecord):
    ip: str = ""
    hostname: str | None = None
    node_name: str | None = None
    target_ref: ObjectReference | None = None


class EndpointsPort(ApiRecord):
    name: str = ""
    port: int = 0
    protocol: str = "TCP"
    app_protocol: str | None = None


class EndpointSubset(ApiRecord):
    addresses: tuple[EndpointAddress, ...] | None = None
    not_ready_addresses: tuple[EndpointAddress, ...] | None = None
    ports: tuple[EndpointsPort, ...] | None = None


class Endpoints(ApiRecord):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    subsets: tuple[EndpointSubset, ...] | None = None


# --- discovery.k8s.io/v1 EndpointSlice, as the controllers write it -------------------------


class EndpointPort(records.EndpointPort):
    app_protocol: str | None = None


class Endpoint(records.Endpoint):
    target_ref: ObjectReference | None = None
    hostname: str | None = None
    node_name: str | None = None
    zone: str | None = None


class EndpointSlice(records.EndpointSlice):
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
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
        return decode_object(kind, obj, KINDS)
    except MalformedObject as err:
        raise ValueError(err.rejected.message) from None


_SLICE = API_KINDS["EndpointSlice"]


def to_api(record: Struct) -> dict:
    """The record as API JSON (a dict), absent fields left out, `null` lists kept as null."""
    out = msgspec.json.decode(msgspec.json.encode(record))  # lists, not the records' tuples
    if isinstance(record, EndpointSlice):
        out = {"kind": _SLICE.name, "apiVersion": _SLICE.api_version, **out,
               "addressType": record.address_type, "endpoints": out.get("endpoints"), "ports": out.get("ports")}
    return out
