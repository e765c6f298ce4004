"""The fleet report as one self-contained HTML page: clusters, then Services in outage first."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape as _html_escape
from typing import Protocol

from sliceaudit.audit.report import ClusterReport, ServiceReport, severity
from sliceaudit.audit.summary import ClusterSummary
from sliceaudit.audit.terms import Status
from sliceaudit.render.table import printable


class ClusterResult(Protocol):
    """What the page reads of one cluster's result in a run (the Lambda's fleet_report.ClusterResult)."""

    cluster: ClusterReport
    scanned_at: str
    failed: bool
    first_seen: dict[str, str]


def escape(text: str) -> str:
    """HTML-escaped, control characters made visible (\\x1b, \\n): names come from clusters."""
    return _html_escape(printable(text))


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0;width:100%}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}
.outage{color:#b00020;font-weight:bold}.degraded{color:#a15c00}.ok{color:#1b7f3b}.failed{color:#b00020}
td.n{text-align:right}ul{margin:0;padding-left:1.1rem}small{color:#666}
"""


def _cell(value: object, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<td{attr}>{escape(str(value))}</td>"


def _causes(svc: ServiceReport) -> str:
    items = []
    for f in svc.findings:
        slices = f"<br><small>slices: {escape(', '.join(f.slices))}</small>" if f.slices else ""
        items.append(f"<li><b>{escape(f.code)}</b>: {escape(f.message)}{slices}</li>")
    return "<td><ul>" + "".join(items) + "</ul></td>" if items else "<td>-</td>"


def _impact(svc: ServiceReport) -> str:
    items = [f"<li><b>{escape(i.consumer)} {escape(i.version)}</b>: {escape(i.message)}</li>" for i in svc.impact]
    return "<td><ul>" + "".join(items) + "</ul></td>" if items else "<td>-</td>"


def _consumers(results: Sequence[ClusterResult]) -> str:
    """Who is hit, per cluster: the proxies in use, their cluster-wide failures first."""
    rows = []
    for r in results:
        for c in r.cluster.consumers:
            failures = "".join(f"<li class=outage><b>{escape(f.code)}</b>: {escape(f.message)}</li>"
                               for f in c.findings)
            hit = sum(1 for s in r.cluster.services for i in s.impact if i.consumer == c.name)
            rows.append("<tr>" + _cell(r.cluster.name) + _cell(f"{c.name} {c.version}")
                        + _cell(", ".join(c.behaviours)) + _cell(hit, "n")
                        + f"<td><ul>{failures}</ul><small>{escape('; '.join(c.found_in))}</small></td></tr>")
    if not rows:
        return ""
    head = ("<tr><th>Cluster</th><th>Proxy</th><th>Behaves as</th><th>Services hit</th>"
            "<th>Cluster-wide failures, found in</th></tr>")
    return "<h2>Proxies in use</h2><table>" + head + "".join(rows) + "</table>"


def _clusters_table(results: Sequence[ClusterResult]) -> str:
    rows = []
    for r in results:
        c = ClusterSummary.of(r.cluster)
        state = ("failed", "failed") if r.failed else ("scanned", "ok")
        counts = (c.services, c.outage, c.degraded, c.ok, c.null_port_endpoints, c.port_zero_endpoints, c.errors)
        rows.append("<tr>" + _cell(r.cluster.name) + _cell(*state) + "".join(_cell(n, "n") for n in counts)
                    + _cell(r.scanned_at) + "</tr>")
    head = ("<tr><th>Cluster</th><th>Scan</th><th>Services</th><th>Outage</th><th>Degraded</th><th>OK</th>"
            "<th>Null-port endpoints</th><th>Port-0 endpoints</th><th>Errors</th><th>Scanned at</th></tr>")
    return "<table>" + head + "".join(rows) + "</table>"


def _services_table(results: Sequence[ClusterResult]) -> str:
    flagged = [(r, s) for r in results for s in r.cluster.services if s.status != Status.OK or s.impact]
    if not flagged:
        return "<p class=ok>No Service is degraded or in outage.</p>"
    flagged.sort(key=lambda rs: (-severity(rs[1].status), rs[0].cluster.name, rs[1].namespace, rs[1].name))
    rows = []
    for r, s in flagged:
        first = r.first_seen.get(f"{s.namespace}/{s.name}", "")
        rows.append("<tr>" + _cell(r.cluster.name) + _cell(f"{s.namespace}/{s.name}") + _cell(s.status, s.status)
                    + _cell(s.endpoints, "n") + _cell(s.null_port_endpoints, "n")
                    + _cell(s.port_zero_endpoints, "n") + _causes(s) + _impact(s) + _cell(first) + "</tr>")
    head = ("<tr><th>Cluster</th><th>Service</th><th>Status</th><th>Endpoints</th><th>Null-port</th>"
            "<th>Port-0</th><th>Root cause</th><th>Proxies in use hit</th><th>First seen</th></tr>")
    return "<table>" + head + "".join(rows) + "</table>"


def _errors(results: Sequence[ClusterResult]) -> str:
    rows = [f"<li><b>{escape(r.cluster.name)}</b> {escape(e.object)}: {escape(e.message)}</li>"
            for r in results for e in r.cluster.errors]
    return "<h2>Errors</h2><ul>" + "".join(rows) + "</ul>" if rows else ""


def render_html(run_id: str, generated_at: str, results: Sequence[ClusterResult]) -> str:
    title = f"sliceaudit fleet report {run_id}"
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>"
            f"<p><small>generated {escape(generated_at)}</small></p>"
            f"<h2>Clusters</h2>{_clusters_table(results)}{_consumers(results)}"
            f"<h2>Services in outage or degraded, or routed wrongly by a proxy in use</h2>{_services_table(results)}"
            f"{_errors(results)}</body></html>\n")
