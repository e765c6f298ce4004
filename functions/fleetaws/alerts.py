"""Telling on-call about new outages: one SNS message per cluster scan that found some."""

from __future__ import annotations

import json
from collections.abc import Sequence

from fleetaws.history import codes_of
from sliceaudit.audit.report import ServiceReport


def outage_message(cluster: str, run_id: str, services: Sequence[ServiceReport]) -> tuple[str, str]:
    """(subject, JSON body) for Services that went into outage in this run."""
    names = ", ".join(f"{s.namespace}/{s.name}" for s in services[:5])
    more = f" and {len(services) - 5} more" if len(services) > 5 else ""
    subject = f"sliceaudit: {len(services)} new outage(s) in {cluster}"[:100]  # SNS subjects stop at 100
    body = {
        "cluster": cluster, "run_id": run_id, "summary": f"new outage in {cluster}: {names}{more}",
        "services": [{"namespace": s.namespace, "name": s.name, "endpoints": s.endpoints,
                      "null_port_endpoints": s.null_port_endpoints, "port_zero_endpoints": s.port_zero_endpoints,
                      "codes": codes_of(s), "findings": [f.message for f in s.findings]}
                     for s in services[:50]],  # SNS messages stop at 256 KB
    }
    return subject, json.dumps(body, indent=1)


def publish_new_outages(sns, topic_arn: str, cluster: str, run_id: str, services: Sequence[ServiceReport]) -> None:
    subject, body = outage_message(cluster, run_id, services)
    sns.publish(TopicArn=topic_arn, Subject=subject, Message=body)
