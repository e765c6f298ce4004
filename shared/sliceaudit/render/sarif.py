"""A predicted (or scanned) cluster report as SARIF 2.1.0, for code-scanning UIs.

One result per finding of a Service: its rule is the finding code, its location the Service's
file and line, its related locations the workloads the finding names (where they were written).
"""

from __future__ import annotations

from collections.abc import Mapping

from sliceaudit.audit.report import ClusterReport, Finding, ServiceReport
from sliceaudit.audit.terms import Code, Status

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RULES = {
    Code.NULL_PORTS: "Pods land in EndpointSlices with ports: null (a named targetPort they lack)",
    Code.PORT_UNSET: "An EndpointSlice port entry has no number",
    Code.PORT_ZERO: "An EndpointSlice publishes port 0",
    Code.PORT_MISSING: "Pods land in EndpointSlices that lack one of the Service's ports",
    Code.TERMINATING_ONLY: "A Service port is served only by terminating Pods",
    Code.FQDN_SLICE: "An FQDN EndpointSlice, which kube-proxy never reads",
}
_LEVEL = {Status.OUTAGE: "error", Status.DEGRADED: "warning", Status.OK: "note"}

Locations = Mapping[tuple[str, str, str], tuple[str, int]]


def _physical(where: tuple[str, int]) -> dict:
    return {"artifactLocation": {"uri": where[0] or "stdin"}, "region": {"startLine": max(1, where[1])}}


def _result(service: ServiceReport, finding: Finding, locations: Locations) -> dict:
    key = ("Service", service.namespace, service.name)
    result: dict = {
        "ruleId": finding.code,
        "level": "note" if finding.code == Code.FQDN_SLICE else _LEVEL[service.status],
        "message": {"text": finding.message},
        "partialFingerprints": {
            "sliceaudit/v1": f"{finding.code}:{service.namespace}/{service.name}:{','.join(finding.ports)}"},
        "properties": {"service": f"{service.namespace}/{service.name}", "status": service.status,
                       "endpoints": finding.endpoints},
    }
    if key in locations:
        result["locations"] = [{"physicalLocation": _physical(locations[key]),
                                "logicalLocations": [{"fullyQualifiedName": f"Service/{service.namespace}/"
                                                                            f"{service.name}", "kind": "object"}]}]
    related = []
    for w in finding.workloads:
        where = locations.get((w.kind, w.namespace, w.name))
        if where is None:
            continue
        lacks = f" lack {', '.join(w.lacks)}" if w.lacks else ""
        related.append({"id": len(related) + 1, "physicalLocation": _physical(where),
                        "message": {"text": f"{w.kind} {w.namespace}/{w.name}: {w.pods} pod(s){lacks}"}})
    if related:
        result["relatedLocations"] = related
    return result


def sarif(report: ClusterReport, locations: Locations, version: str) -> dict:
    """The SARIF log (a dict, JSON-ready) of every finding in `report`."""
    results = [_result(s, f, locations) for s in report.services for f in s.findings]
    used = sorted({r["ruleId"] for r in results} | set(RULES))
    rules = [{"id": code, "name": code.title().replace("_", ""),
              "shortDescription": {"text": RULES.get(code, code)}} for code in used]
    return {"$schema": SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "sliceaudit", "version": version, "rules": rules}},
                      "results": results}]}
