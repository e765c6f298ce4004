"""The terminal rendering of a report: Services needing attention first, with their root causes."""

from __future__ import annotations

import textwrap

from sliceaudit.core.report import Report, ServiceReport, severity

_COLOURS = {"outage": "\x1b[1;31m", "degraded": "\x1b[33m", "ok": "\x1b[32m"}
_RESET = "\x1b[0m"
_HEADER = ("CLUSTER", "SERVICE", "STATUS", "ENDPOINTS", "NULL-PORT", "PORT-0", "FINDINGS")


def _paint(text: str, status: str, color: bool) -> str:
    return f"{_COLOURS[status]}{text}{_RESET}" if color else text


def _row(cluster: str, s: ServiceReport) -> tuple[str, ...]:
    codes = ",".join(dict.fromkeys(f.code for f in s.findings)) or "-"
    return (cluster, f"{s.namespace}/{s.name}", s.status, str(s.endpoints), str(s.null_port_endpoints),
            str(s.port_zero_endpoints), codes)


def render_table(report: Report, color: bool = False, show_ok: bool = False, width: int = 100) -> str:
    """Services in outage, then degraded (all Services with show_ok), each with its findings."""
    flagged = [(c.name, s) for c in report.clusters for s in c.services if show_ok or s.status != "ok"]
    flagged.sort(key=lambda cs: (-severity(cs[1].status), cs[0], cs[1].namespace, cs[1].name))
    lines: list[str] = []
    if flagged:
        rows = [_HEADER] + [_row(c, s) for c, s in flagged]
        widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADER))]
        lines.append(_line(rows[0], widths, None, color))
        for (_, svc), row in zip(flagged, rows[1:]):
            lines.append(_line(row, widths, svc.status, color))
            for f in svc.findings:
                lines.extend(textwrap.wrap(f"{f.code}: {f.message}", width=width,
                                           initial_indent="    ", subsequent_indent="      ",
                                           break_on_hyphens=False))
        lines.append("")
    lines.append(_summary(report, color))
    for c in report.clusters:
        for e in c.errors:
            lines.append(f"error [{c.name}] {e.object}: {e.message}")
    for e in report.errors:
        lines.append(f"error {e.object}: {e.message}")
    return "\n".join(lines) + "\n"


def _line(row: tuple[str, ...], widths: list[int], status: str | None, color: bool) -> str:
    cells = [v.ljust(w) for v, w in zip(row, widths)]
    if status is not None:
        cells[2] = _paint(cells[2], status, color)
    return "  ".join(cells).rstrip()


def _summary(report: Report, color: bool) -> str:
    counts = {status: 0 for status in ("outage", "degraded", "ok")}
    for c in report.clusters:
        for s in c.services:
            counts[s.status] += 1
    total = sum(counts.values())
    errors = len(report.errors) + sum(len(c.errors) for c in report.clusters)
    parts = ", ".join(_paint(f"{n} {status}", status, color and n > 0) for status, n in counts.items())
    clusters = len(report.clusters)
    text = (f"{clusters} cluster{'s' if clusters != 1 else ''}, {total} Service{'s' if total != 1 else ''}: "
            f"{parts}")
    return text + (f"; {errors} error{'s' if errors != 1 else ''}" if errors else "")
