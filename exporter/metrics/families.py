"""Every metric family the exporter serves: name, type, labels and HELP text, in one place.

docs/exporter.md, the dashboard test and the alert tests read these names; HELP text is what a
person sees in Prometheus' UI, so it says what the number means and when it is 0. A per-Service
family also carries the function that reads its value from the Service's audit report (as
kube-state-metrics' FamilyGenerator carries its GenerateFunc): adding a gauge is adding one here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter

from exporter.metrics.consumer import broken_backends
from sliceaudit.audit.report import ServiceReport
from sliceaudit.audit.terms import Code, Status
from sliceaudit.consumers.detect import Present


@dataclass(frozen=True)
class Family:
    name: str
    type: str                  # "gauge" or "counter"
    labels: tuple[str, ...]
    help: str

    @property
    def header(self) -> bytes:
        help_text = self.help.replace("\\", "\\\\").replace("\n", "\\n")
        return f"# HELP {self.name} {help_text}\n# TYPE {self.name} {self.type}\n".encode()

    @property
    def key(self) -> bytes:
        return self.name.encode()


@dataclass(frozen=True)
class ServiceGauge(Family):
    """A gauge per Service, read from its report each time the Service is re-audited."""

    value: Callable[[ServiceReport], int]


@dataclass(frozen=True)
class ConsumerGauge(Family):
    """A gauge per Service and declared consumer, read from the Service's report."""

    value: Callable[[ServiceReport, Present], int]


def _outage(report: ServiceReport) -> int:
    return int(report.status == Status.OUTAGE)


def _terminating_only(report: ServiceReport) -> int:
    """1 when some port lives on kube-proxy's graceful-termination fallback: an outage in waiting."""
    return int(any(f.code == Code.TERMINATING_ONLY for f in report.findings))


SERVICE_LABELS = ("cluster", "namespace", "service")

# Per Service, in the order of their blocks in the exposition.
ENDPOINTS = ServiceGauge(
    "sliceaudit_endpoints", "gauge", SERVICE_LABELS,
    "Distinct endpoints (first addresses some IPv4 or IPv6 EndpointSlice lists as ready) across the "
    "Service's EndpointSlices.",
    attrgetter("endpoints"))
NULL_PORT_ENDPOINTS = ServiceGauge(
    "sliceaudit_null_port_endpoints", "gauge", SERVICE_LABELS,
    "Serving endpoints of the Service in EndpointSlices whose ports are null, absent or empty: "
    "backends of no port, read as port 0 by naive consumers. 0 for Services that declare no ports.",
    attrgetter("null_port_endpoints"))
PORT_ZERO_ENDPOINTS = ServiceGauge(
    "sliceaudit_port_zero_endpoints", "gauge", SERVICE_LABELS,
    "Serving endpoints of the Service in EndpointSlices whose entry for a Service port has no "
    "number or the number 0: backends of no port, dialled on port 0 by naive consumers.",
    attrgetter("port_zero_endpoints"))
SERVICE_OUTAGE = ServiceGauge(
    "sliceaudit_service_outage", "gauge", SERVICE_LABELS,
    "1 when the Service has endpoints but some Service port has no backend, else 0.",
    _outage)
SERVICE_TERMINATING_ONLY = ServiceGauge(
    "sliceaudit_service_terminating_only", "gauge", SERVICE_LABELS,
    "1 when some Service port is served only by terminating (still serving) endpoints, kube-proxy's "
    "graceful-termination fallback: an outage once those pods exit. Else 0.",
    _terminating_only)
SERVICE_FAMILIES = (ENDPOINTS, NULL_PORT_ENDPOINTS, PORT_ZERO_ENDPOINTS, SERVICE_OUTAGE, SERVICE_TERMINATING_ONLY)

# Per Service and consumer declared with --consumer: one series each, so len(SERVICE_FAMILIES) + consumers
# per Service.
CONSUMER_BROKEN_BACKENDS = ConsumerGauge(
    "sliceaudit_consumer_broken_backends", "gauge", SERVICE_LABELS + ("consumer", "version"),
    "Backends of the Service this consumer (a proxy declared with --consumer) dials that kube-proxy does "
    "not use: ip:0 and mis-mapped ports, distinct over the Service's ports; for an unknown version the most "
    "any of its possible behaviours dials. 0 when it routes the Service like kube-proxy.",
    broken_backends)
CONSUMER_FAMILIES = (CONSUMER_BROKEN_BACKENDS,)

# Per cluster.
CLUSTER_UP = Family(
    "sliceaudit_cluster_up", "gauge", ("cluster",),
    "1 while every watch of the cluster has listed and runs without error; 0 before the first "
    "list and after a failure until the watch recovers.")
CLUSTER_LAST_SYNC = Family(
    "sliceaudit_cluster_last_sync_timestamp_seconds", "gauge", ("cluster",),
    "Unix time the cluster last proved the held state current (a list, a watch event or bookmark, "
    "or a watch the API server accepted from the last resourceVersion); 0 before the first.")
CLUSTER_OBJECTS = Family(
    "sliceaudit_cluster_objects", "gauge", ("cluster", "resource"),
    "Objects of each resource the exporter holds for the cluster.")
WATCH_RESTARTS = Family(
    "sliceaudit_watch_restarts_total", "counter", ("cluster", "resource"),
    "Times a watch of the cluster restarted (error, expired resourceVersion or dropped connection).")
WATCH_EVENTS = Family(
    "sliceaudit_watch_events_total", "counter", ("cluster", "resource", "type"),
    "Watch events the exporter applied, by type (ADDED, MODIFIED, DELETED), plus one LIST per "
    "full list or relist.")
OBJECTS_REJECTED = Family(
    "sliceaudit_objects_rejected_total", "counter", ("cluster", "resource"),
    "Objects that did not fit the Kubernetes API's types and were left out of the audit.")
SERIES_CUT = Family(
    "sliceaudit_series_cut_total", "counter", ("cluster",),
    "Per-Service series left out of scrapes because the cluster exceeded --max-series-per-cluster "
    "(healthy Services are cut first), summed over scrapes.")
CLUSTER_FAMILIES = (CLUSTER_UP, CLUSTER_LAST_SYNC, CLUSTER_OBJECTS, WATCH_RESTARTS, WATCH_EVENTS,
                    OBJECTS_REJECTED, SERIES_CUT)

# The exporter itself.
SCRAPE_DURATION = Family(
    "sliceaudit_scrape_duration_seconds", "gauge", (),
    "Time the exporter spent rendering this /metrics response, up to this line.")
EXPORTER_FAMILIES = (SCRAPE_DURATION,)

ALL_FAMILIES = SERVICE_FAMILIES + CONSUMER_FAMILIES + CLUSTER_FAMILIES + EXPORTER_FAMILIES
