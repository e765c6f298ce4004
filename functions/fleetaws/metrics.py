"""Per-cluster CloudWatch metrics as EMF log lines (Powertools), dimensioned by cluster."""

from __future__ import annotations

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from sliceaudit.audit.summary import ClusterSummary


def emit_cluster_metrics(cluster: str, summary: ClusterSummary | None, duration_seconds: float) -> None:
    """One EMF document for the cluster; a failed scan (summary None) counts as a ScanErrors of 1."""
    # Ephemeral: the handler's shared Metrics keeps its own dimensions; this set carries `cluster`.
    metrics = EphemeralMetrics()
    metrics.add_dimension(name="cluster", value=cluster)
    metrics.add_metric(name="ScanDurationSeconds", unit=MetricUnit.Seconds, value=round(duration_seconds, 3))
    metrics.add_metric(name="ScanErrors", unit=MetricUnit.Count, value=0 if summary else 1)
    if summary is not None:
        metrics.add_metric(name="NullPortEndpoints", unit=MetricUnit.Count, value=summary.null_port_endpoints)
        metrics.add_metric(name="PortZeroEndpoints", unit=MetricUnit.Count, value=summary.port_zero_endpoints)
        metrics.add_metric(name="ServicesInOutage", unit=MetricUnit.Count, value=summary.outage)
        metrics.add_metric(name="ServicesDegraded", unit=MetricUnit.Count, value=summary.degraded)
    metrics.flush_metrics()
