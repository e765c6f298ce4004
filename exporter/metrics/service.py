"""The per-Service gauges: a Service's numbers and label set, joined into family blocks when they change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from exporter.metrics.families import CONSUMER_BROKEN_BACKENDS, SERVICE_FAMILIES
from exporter.metrics.text import labels

_NAMES = tuple(f.key for f in SERVICE_FAMILIES)


class ServiceValues(NamedTuple):
    """One Service's numbers, in the order of SERVICE_FAMILIES; `rank` orders Services for the cap."""

    endpoints: int
    null_port_endpoints: int
    port_zero_endpoints: int
    outage: int
    terminating_only: int
    rank: int  # 0 ok, 1 degraded, 2 outage
    broken: tuple[int, ...] = ()  # per declared consumer, in --consumer order: broken backends


def service_labels(cluster: str, namespace: str, service: str) -> bytes:
    """The label set of a Service's samples, rendered once per Service."""
    return labels(cluster=cluster, namespace=namespace, service=service)


def family_blocks(series: Iterable[tuple[ServiceValues, bytes]],
                  consumers: tuple[bytes, ...] = ()) -> tuple[bytes, ...]:
    """Per family (SERVICE_FAMILIES, then the consumer gauge), one sample line per (values, label set).

    Lines are made here, at each re-join, rather than held per Service: 4 lines per Service were
    ~0.4 KB of the exporter's memory each, and a re-join happens only when some number changed.
    `consumers` are the declared consumers' extra labels (consumer_labels).
    """
    series = list(series)
    blocks = tuple(b"".join([b"%s{%s} %d\n" % (name, label_set, values[i]) for values, label_set in series])
                   for i, name in enumerate(_NAMES))
    key = CONSUMER_BROKEN_BACKENDS.key
    return blocks + (b"".join([b"%s{%s%s} %d\n" % (key, label_set, extra, n)
                               for values, label_set in series for extra, n in zip(consumers, values.broken)]),)
