"""The one list of Kubernetes kinds sliceaudit reads: each kind's group, version and plural, and who reads it.

Every other list of kinds (what the audit decodes, what a live scan lists, what the exporter
watches, what predict runs, what the simulator serves, what RBAC grants) is built from these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    group: str            # "" for the core API
    version: str
    plural: str
    # What API discovery advertises, so that kubectl resolves `svc`, `po`, `kubectl get all`.
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        """As RBAC names it: "endpointslices.discovery.k8s.io", "services"."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("Service", "", "v1", "services", ("svc",), ("all",)),
    Kind("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices"),
    Kind("Endpoints", "", "v1", "endpoints", ("ep",)),
    Kind("Pod", "", "v1", "pods", ("po",), ("all",)),
    Kind("Node", "", "v1", "nodes", ("no",)),
    Kind("ReplicaSet", "apps", "v1", "replicasets", ("rs",), ("all",)),
    Kind("Deployment", "apps", "v1", "deployments", ("deploy",), ("all",)),
    Kind("StatefulSet", "apps", "v1", "statefulsets", ("sts",), ("all",)),
    Kind("DaemonSet", "apps", "v1", "daemonsets", ("ds",), ("all",)),
    Kind("Job", "batch", "v1", "jobs", (), ("all",)),
    Kind("CronJob", "batch", "v1", "cronjobs", ("cj",), ("all",)),
)}


def _names(*names: str) -> tuple[str, ...]:
    unknown = [n for n in names if n not in KINDS]
    if unknown:
        raise ValueError(f"not in KINDS: {', '.join(unknown)}")
    return names


# What every audit lists and the exporter watches.
AUDITED = _names("Service", "EndpointSlice")
# Root cause: targetRef -> Pod -> ReplicaSet -> Deployment, or a StatefulSet or DaemonSet directly.
OWNERS = _names("Pod", "ReplicaSet", "Deployment", "StatefulSet", "DaemonSet")
# Consumer detection: these workloads' images say which proxies run.
CONSUMER_WORKLOADS = _names("Deployment", "StatefulSet", "DaemonSet")
# What a scan decodes into records (files or a live cluster).
SCANNED = AUDITED + OWNERS
# Templates that run Pods, as the controller model expands them (predict).
WORKLOADS = _names("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")
# What predict reads from manifests: Services, Endpoints (which the mirroring controller reads) and
# what runs Pods (a CronJob through its Job).
PREDICTED = _names("Service", "Endpoints", *WORKLOADS, "CronJob", "Pod")
# What predict reads of a live cluster: Services and the Pods they select (with ReplicaSets for root
# cause), and the slices of selector-less Services, which no controller writes.
PREDICT_LIVE = _names("Service", "Pod", "ReplicaSet", "EndpointSlice")
# What an audited cluster's API serves sliceaudit (and the simulator serves), owners before what
# they own: the Endpoints too, which the mirroring controller and kubectl read.
SERVED = _names("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Service", "Endpoints",
                "EndpointSlice")


def kind(name: str) -> Kind:
    """The kind called `name`; ValueError for one sliceaudit does not read."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unsupported kind {name!r}; expected one of {', '.join(KINDS)}") from None
