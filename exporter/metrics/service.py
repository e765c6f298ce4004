"""The per-Service gauges: a Service's values read from its report by each family, joined into family blocks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from exporter.metrics.families import CONSUMER_FAMILIES, SERVICE_FAMILIES, Family
from exporter.metrics.text import labels
from sliceaudit.audit.report import ServiceReport, severity
from sliceaudit.consumers.detect import Present

_NAMES = tuple(f.key for f in SERVICE_FAMILIES)
_CONSUMER_NAMES = tuple(f.key for f in CONSUMER_FAMILIES)


class ServiceValues(NamedTuple):
    """One Service's held result: its rank for the series cap, and the values of its gauges."""

    rank: int                 # 0 ok, 1 degraded, 2 outage
    gauges: tuple[int, ...]   # per SERVICE_FAMILIES family, then per CONSUMER_FAMILIES family and declared consumer

    def of(self, family: Family) -> int:
        """The value of one of SERVICE_FAMILIES."""
        return self.gauges[SERVICE_FAMILIES.index(family)]


_SHARED: dict[ServiceValues, ServiceValues] = {}  # most Services have the same few numbers: held once

def service_values(report: ServiceReport, consumers: Sequence[Present] = ()) -> ServiceValues:
    """What each family reads of the report (a shared copy when another Service has the same)."""
    values = ServiceValues(severity(report.status),
                           tuple(f.value(report) for f in SERVICE_FAMILIES)
                           + tuple(f.value(report, c) for f in CONSUMER_FAMILIES for c in consumers))
    if len(_SHARED) > 10_000:
        _SHARED.clear()
    return _SHARED.setdefault(values, values)


def service_labels(cluster: str, namespace: str, service: str) -> bytes:
    """The label set of a Service's samples, rendered once per Service."""
    return labels(cluster=cluster, namespace=namespace, service=service)


def family_blocks(series: Iterable[tuple[ServiceValues, bytes]],
                  consumers: tuple[bytes, ...] = ()) -> tuple[bytes, ...]:
    """Per family (SERVICE_FAMILIES, then CONSUMER_FAMILIES), one sample line per (values, label set).

    Lines are made here, at each re-join, rather than held per Service: 4 lines per Service were
    ~0.4 KB of the exporter's memory each, and a re-join happens only when some number changed.
    `consumers` are the declared consumers' extra labels (consumer_labels).
    """
    rows = list(series)  # values unpacked as (rank, gauges) by position: no attribute lookup per line
    blocks = tuple(b"".join([b"%s{%s} %d\n" % (name, label_set, gauges[i]) for (_, gauges), label_set in rows])
                   for i, name in enumerate(_NAMES))
    if not consumers:
        return blocks + (b"",) * len(_CONSUMER_NAMES)
    first, width = len(_NAMES), len(consumers)
    return blocks + tuple(
        b"".join([b"%s{%s%s} %d\n" % (name, label_set, extra, n) for (_, gauges), label_set in rows
                  for extra, n in zip(consumers, gauges[first + j * width:first + (j + 1) * width])])
        for j, name in enumerate(_CONSUMER_NAMES))
