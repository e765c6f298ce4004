"""Where each kind a scan reads (api.kinds.SCANNED) is listed and watched."""

from __future__ import annotations

from dataclasses import dataclass

from sliceaudit.api.kinds import KINDS, SCANNED


@dataclass(frozen=True)
class Resource:
    kind: str
    resource: str        # as RBAC names it: "endpointslices.discovery.k8s.io"
    group_version: str   # the API path it is served under: "/api/v1", "/apis/apps/v1"
    plural: str          # its path segment: "endpointslices"

    def path(self, namespace: str | None) -> str:
        """The list (and watch) path, cluster-wide or of one namespace (its name left as a placeholder)."""
        if namespace:
            return f"{self.group_version}/namespaces/{{namespace}}/{self.plural}"
        return f"{self.group_version}/{self.plural}"


def _resource(name: str) -> Resource:
    kind = KINDS[name]
    group_version = f"/apis/{kind.group}/{kind.version}" if kind.group else f"/api/{kind.version}"
    return Resource(name, kind.resource, group_version, kind.plural)


RESOURCES: dict[str, Resource] = {name: _resource(name) for name in SCANNED}


def resource(kind: str) -> Resource:
    try:
        return RESOURCES[kind]
    except KeyError:
        raise ValueError(f"unsupported kind {kind!r}; expected one of {', '.join(RESOURCES)}") from None
