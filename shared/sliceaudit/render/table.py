"""The terminal rendering of a report: Services needing attention first, with their root causes."""

from __future__ import annotations

import textwrap

from sliceaudit.audit.report import ClusterReport, Report, ServiceReport, severity
from sliceaudit.audit.terms import STATUSES, Status

_COLOURS = {Status.OUTAGE: "\x1b[1;31m", Status.DEGRADED: "\x1b[33m", Status.OK: "\x1b[32m"}
_RESET = "\x1b[0m"
_HEADER = ("CLUSTER", "SERVICE", "STATUS", "ENDPOINTS", "NULL-PORT", "PORT-0", "FINDINGS")


def _paint(text: str, status: str, color: bool) -> str:
    return f"{_COLOURS[status]}{text}{_RESET}" if color else text


def _row(cluster: str, s: ServiceReport) -> tuple[str, ...]:
    codes = ",".join(dict.fromkeys(f.code for f in s.findings)) or "-"
    return (printable(cluster), printable(f"{s.namespace}/{s.name}"), s.status, str(s.endpoints),
            str(s.null_port_endpoints), str(s.port_zero_endpoints), printable(codes))


def printable(text: str) -> str:
    """Input-derived text (names, messages, image references) with control characters escaped: an
    escape sequence or newline in a name must not reach the terminal raw nor forge a table line."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _consumer_lines(cluster: ClusterReport, width: int, color: bool) -> list[str]:
    """Cluster-wide consumer findings first and loud: they stop every route of that proxy."""
    lines = []
    for c in cluster.consumers:
        for f in c.findings:
            text = printable(f"{f.code} [{cluster.name}]: {f.message}")
            lines.extend(_paint(line, Status.OUTAGE, color) for line in textwrap.wrap(
                text, width=width, subsequent_indent="  ", break_on_hyphens=False))
    return lines


def _wrapped(text: str, width: int) -> list[str]:
    return textwrap.wrap(printable(text), width=width, initial_indent="    ", subsequent_indent="      ",
                         break_on_hyphens=False)


def render_table(report: Report, color: bool = False, show_ok: bool = False, width: int = 100) -> str:
    """Consumer-wide failures, then Services in outage, then degraded (all Services with show_ok; ok ones a
    consumer in use routes differently too), each with its findings and each consumer's impact."""
    flagged = [(c.name, s) for c in report.clusters for s in c.services if show_ok or s.status != Status.OK or s.impact]
    flagged.sort(key=lambda cs: (-severity(cs[1].status), cs[0], cs[1].namespace, cs[1].name))
    lines: list[str] = []
    for c in report.clusters:
        lines.extend(_consumer_lines(c, width, color))
    if lines:
        lines.append("")
    if flagged:
        rows = [_HEADER] + [_row(c, s) for c, s in flagged]
        widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADER))]
        lines.append(_line(rows[0], widths, None, color))
        for (_, svc), row in zip(flagged, rows[1:]):
            lines.append(_line(row, widths, svc.status, color))
            for f in svc.findings:
                lines.extend(_wrapped(f"{f.code}: {f.message}", width))
            for i in svc.impact:
                lines.extend(_wrapped(f"IMPACT {i.message}", width))
        lines.append("")
    lines.append(_summary(report, color))
    for c in report.clusters:
        if c.consumers:
            names = ", ".join(f"{p.name} {p.version}" for p in c.consumers)
            lines.append(printable(f"consumers [{c.name}]: {names}"))
    for c in report.clusters:
        for e in c.errors:
            lines.append(printable(f"error [{c.name}] {e.object}: {e.message}"))
    for e in report.errors:
        lines.append(printable(f"error {e.object}: {e.message}"))
    return "\n".join(lines) + "\n"


def _line(row: tuple[str, ...], widths: list[int], status: str | None, color: bool) -> str:
    cells = [v.ljust(w) for v, w in zip(row, widths)]
    if status is not None:
        cells[2] = _paint(cells[2], status, color)
    return "  ".join(cells).rstrip()


def _summary(report: Report, color: bool) -> str:
    counts = {status: 0 for status in reversed(STATUSES)}   # worst first
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
