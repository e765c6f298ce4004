"""The API server's discovery documents (/api, /apis, each group and group version), from RESOURCES.

These are the legacy (unaggregated) documents: kubectl asks for the aggregated v2 form first and
falls back to these when the answer is plain `application/json`, as it does against any server
that does not aggregate (client-go discovery_client.go, `fetchGroupsAndResources`).
"""

from __future__ import annotations

import json

from sliceaudit.sim.apiserver.resources import RESOURCES, Resource

# The simulator serves reads only (writes answer 405): discovery says so, so clients never try.
VERBS = ("get", "list", "watch")


def _groups() -> dict[str, list[Resource]]:
    out: dict[str, list[Resource]] = {}
    for res in RESOURCES.values():
        out.setdefault(res.api_version, []).append(res)
    return out


def _group_version(group: str, version: str) -> dict:
    return {"groupVersion": f"{group}/{version}", "version": version}


def _group(name: str, versions: list[str]) -> dict:
    entries = [_group_version(name, v) for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def _resource(res: Resource) -> dict:
    out = {"name": res.plural, "singularName": res.kind.lower(), "namespaced": res.namespaced, "kind": res.kind,
           "verbs": list(VERBS)}
    if res.short_names:
        out["shortNames"] = list(res.short_names)
    if res.categories:
        out["categories"] = list(res.categories)
    return out


def document(path: str, server_address: str) -> bytes | None:
    """The discovery document served at `path` (no trailing slash), or None when it is not one."""
    groups = _groups()
    named = sorted({r.group for r in RESOURCES.values() if r.group})
    body: dict | None = None
    if path == "/api":
        body = {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}
    elif path == "/apis":
        body = {"kind": "APIGroupList", "apiVersion": "v1",
                "groups": [_group(g, sorted({r.version for r in RESOURCES.values() if r.group == g}))
                           for g in named]}
    elif path.startswith("/apis/") and path.count("/") == 2 and path[6:] in named:
        group = path[6:]
        body = {"kind": "APIGroup", "apiVersion": "v1",
                **_group(group, sorted({r.version for r in RESOURCES.values() if r.group == group}))}
    else:
        api_version = path[5:] if path.startswith("/api/") else path[6:] if path.startswith("/apis/") else ""
        legacy = path.startswith("/api/")
        members = groups.get(api_version)
        if members and (legacy == ("/" not in api_version)):
            body = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": api_version,
                    "resources": [_resource(r) for r in members]}
    return None if body is None else json.dumps(body, separators=(",", ":")).encode()
