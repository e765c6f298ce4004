"""Per Service and declared consumer: how many backends it dials that kube-proxy does not use."""

from __future__ import annotations

from collections.abc import Sequence

from exporter.metrics.text import labels
from sliceaudit.audit.impact import UNKNOWN
from sliceaudit.audit.report import ServiceReport
from sliceaudit.consumers.detect import Present


def consumer_label(present: Present) -> tuple[str, str]:
    """The `consumer` and `version` label values of a declared consumer."""
    return present.consumer.name, str(present.version or UNKNOWN)


def consumer_labels(consumers: Sequence[Present]) -> tuple[bytes, ...]:
    """Per consumer, the labels appended to a Service's label set (rendered once per cluster)."""
    return tuple(b"," + labels(consumer=name, version=version) for name, version in map(consumer_label, consumers))


def broken_backends(report: ServiceReport, present: Present) -> int:
    """The consumer's distinct wrong backends over the Service's ports (the worst of its behaviours)."""
    key = consumer_label(present)
    return max((len({(p.name, b) for p in impact.ports for b in p.wrong})
                for impact in report.impact if (impact.consumer, impact.version) == key), default=0)
