"""Which generated client method lists each kind a scan reads (api.kinds.SCANNED)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubernetes import client as k8s

from sliceaudit.api.kinds import KINDS, SCANNED

# The generated API class of each group at v1.
_APIS = {"": k8s.CoreV1Api, "apps": k8s.AppsV1Api, "discovery.k8s.io": k8s.DiscoveryV1Api, "batch": k8s.BatchV1Api}


@dataclass(frozen=True)
class Resource:
    kind: str
    resource: str        # as RBAC names it: "endpointslices.discovery.k8s.io"
    api: type            # the generated API class
    list_all: str        # method listing across all namespaces
    list_namespaced: str


def _resource(name: str) -> Resource:
    """The generator names methods after the kind in snake case: list_namespaced_endpoint_slice."""
    kind = KINDS[name]
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return Resource(name, kind.resource, _APIS[kind.group],
                    f"list_{snake}_for_all_namespaces", f"list_namespaced_{snake}")


RESOURCES: dict[str, Resource] = {name: _resource(name) for name in SCANNED}


def resource(kind: str) -> Resource:
    try:
        return RESOURCES[kind]
    except KeyError:
        raise ValueError(f"unsupported kind {kind!r}; expected one of {', '.join(RESOURCES)}") from None
