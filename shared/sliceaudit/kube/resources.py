"""The API resources sliceaudit reads, and which generated client method lists each one."""

from __future__ import annotations

from dataclasses import dataclass

from kubernetes import client as k8s


@dataclass(frozen=True)
class Resource:
    kind: str
    resource: str        # as RBAC names it: "endpointslices.discovery.k8s.io"
    api: type            # the generated API class
    list_all: str        # method listing across all namespaces
    list_namespaced: str


RESOURCES: dict[str, Resource] = {r.kind: r for r in (
    Resource("EndpointSlice", "endpointslices.discovery.k8s.io", k8s.DiscoveryV1Api,
             "list_endpoint_slice_for_all_namespaces", "list_namespaced_endpoint_slice"),
    Resource("Service", "services", k8s.CoreV1Api,
             "list_service_for_all_namespaces", "list_namespaced_service"),
    Resource("Pod", "pods", k8s.CoreV1Api, "list_pod_for_all_namespaces", "list_namespaced_pod"),
    Resource("ReplicaSet", "replicasets.apps", k8s.AppsV1Api,
             "list_replica_set_for_all_namespaces", "list_namespaced_replica_set"),
    Resource("Deployment", "deployments.apps", k8s.AppsV1Api,
             "list_deployment_for_all_namespaces", "list_namespaced_deployment"),
    Resource("StatefulSet", "statefulsets.apps", k8s.AppsV1Api,
             "list_stateful_set_for_all_namespaces", "list_namespaced_stateful_set"),
    Resource("DaemonSet", "daemonsets.apps", k8s.AppsV1Api,
             "list_daemon_set_for_all_namespaces", "list_namespaced_daemon_set"),
)}


def resource(kind: str) -> Resource:
    try:
        return RESOURCES[kind]
    except KeyError:
        raise ValueError(f"unsupported kind {kind!r}; expected one of {', '.join(RESOURCES)}") from None
