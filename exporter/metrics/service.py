"""The four per-Service gauges: rendered once when a Service's numbers change, reused every scrape."""

from __future__ import annotations

from typing import NamedTuple

from exporter.metrics.families import SERVICE_FAMILIES
from exporter.metrics.text import labels

_NAMES = tuple(f.key for f in SERVICE_FAMILIES)


class ServiceValues(NamedTuple):
    """One Service's numbers, in the order of SERVICE_FAMILIES; `rank` orders Services for the cap."""

    endpoints: int
    null_port_endpoints: int
    port_zero_endpoints: int
    outage: int
    rank: int  # 0 ok, 1 degraded, 2 outage


def service_lines(cluster: str, namespace: str, service: str, values: ServiceValues) -> tuple[bytes, ...]:
    """One sample line per family, ready to be joined into that family's block."""
    label_set = labels(cluster=cluster, namespace=namespace, service=service)
    return tuple(b"%s{%s} %d\n" % (name, label_set, value) for name, value in zip(_NAMES, values))
