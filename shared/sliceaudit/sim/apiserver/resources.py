"""The API resources the simulated server serves: group, version, kind, plural."""

from __future__ import annotations

from dataclasses import dataclass

from sliceaudit.api.kinds import KINDS, SERVED, Kind


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    fields: frozenset[str] = frozenset({"metadata.name", "metadata.namespace"})
    # What discovery advertises, so that kubectl resolves `svc`, `po`, `kubectl get all`.
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


_POD_FIELDS = frozenset({"metadata.name", "metadata.namespace", "spec.nodeName", "status.phase", "status.podIP"})


def _served(kind: Kind) -> Resource:
    fields = _POD_FIELDS if kind.name == "Pod" else Resource.fields
    return Resource(kind.group, kind.version, kind.name, kind.plural, fields, kind.short_names, kind.categories)


RESOURCES = {r.plural: r for r in (_served(KINDS[name]) for name in SERVED)}
BY_KIND = {r.kind: r for r in RESOURCES.values()}


def resource(kind_or_plural: str) -> Resource:
    """Looks a resource up by kind ("EndpointSlice") or plural ("endpointslices")."""
    found = BY_KIND.get(kind_or_plural) or RESOURCES.get(kind_or_plural.lower())
    if found is None:
        raise KeyError(f"the simulator does not serve {kind_or_plural!r}")
    return found


def selectable_fields(res: Resource, obj: dict) -> dict[str, str]:
    meta = obj.get("metadata") or {}
    fields = {"metadata.name": meta.get("name", ""), "metadata.namespace": meta.get("namespace", "")}
    if res.plural == "pods":
        fields["spec.nodeName"] = (obj.get("spec") or {}).get("nodeName", "")
        status = obj.get("status") or {}
        fields["status.phase"] = status.get("phase", "")
        fields["status.podIP"] = status.get("podIP", "")
    return fields
