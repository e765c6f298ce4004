"""What one cluster's scan amounts to: counts for the run item, the metrics and the fleet page."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from sliceaudit.audit.report import ClusterReport
from sliceaudit.audit.terms import Status


@dataclass(frozen=True)
class ClusterSummary:
    services: int = 0
    ok: int = 0
    degraded: int = 0
    outage: int = 0
    null_port_endpoints: int = 0
    port_zero_endpoints: int = 0
    errors: int = 0

    @classmethod
    def of(cls, report: ClusterReport) -> ClusterSummary:
        statuses = Counter(s.status for s in report.services)
        return cls(
            services=len(report.services),
            ok=statuses[Status.OK],
            degraded=statuses[Status.DEGRADED],
            outage=statuses[Status.OUTAGE],
            null_port_endpoints=sum(s.null_port_endpoints for s in report.services),
            port_zero_endpoints=sum(s.port_zero_endpoints for s in report.services),
            errors=len(report.errors),
        )

    def to_dict(self) -> dict[str, int]:
        return asdict(self)
