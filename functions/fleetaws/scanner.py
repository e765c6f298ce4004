"""One scan request, start to end: scan the cluster, record history and result, count it toward its run.

Idempotent per (run, cluster): a redelivered request whose result is recorded is not scanned or
counted again. A cluster that fails raises (the queue retries it); on its last attempt the failure
itself is recorded, so the run still completes and the fleet report names the cluster as failed.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Literal

from fleetaws.alerts import publish_new_outages
from fleetaws.clients import client
from fleetaws.cluster_access import access_for
from fleetaws.config import ScanConfig
from fleetaws.fleet_report import ClusterResult, failed_result, get_results, put_result, write_fleet_report
from fleetaws.history import expiry, iso, update_history
from fleetaws.messages import ScanRequest
from fleetaws.metrics import emit_cluster_metrics
from fleetaws.runs import already_recorded, claim_report, cluster_summaries, mark_reported, record_cluster
from sliceaudit.audit.summary import ClusterSummary
from sliceaudit.kube.errors import ClusterError
from sliceaudit.kube.pages import ListOptions
from sliceaudit.live.scan import cluster_failure, scan_cluster


class ScanFailed(RuntimeError):
    """The cluster could not be scanned this time; one line, no secrets."""


def handle_request(request: ScanRequest, config: ScanConfig, *, remaining_ms: int, attempt: int,
                   log: logging.Logger) -> Literal["scanned", "duplicate"]:
    """Raises ScanFailed (one line) when the cluster could not be scanned this time."""
    ddb = client(config.aws, "dynamodb")
    ends_at = int(time.time() + remaining_ms / 1000) + 1   # when this invocation is stopped, at the latest
    if already_recorded(ddb, config.table, request.run_id, request.cluster):
        log.info("already recorded for this run: not scanned again")
        finish_run(config, request.run_id, ends_at, log)   # in case the report's writer died before writing it
        return "duplicate"
    started = time.monotonic()
    now = datetime.now(UTC)
    try:
        report = _scan(request, config, started + remaining_ms / 1000 - config.time_reserve_seconds)
    except Exception as err:
        message = str(err) if isinstance(err, ClusterError) else f"{type(err).__name__}: {err}"
        duration = time.monotonic() - started
        emit_cluster_metrics(request.cluster, None, duration)
        if attempt >= config.max_receive_count:
            _record_failure(request, config, message, now, duration, ends_at, log)
        raise ScanFailed(f"cluster {request.cluster}: {message}") from None
    duration = time.monotonic() - started
    summary = ClusterSummary.of(report)
    update = update_history(ddb, config.table, request.cluster, report, run_id=request.run_id, now=now,
                            resolved_retention_days=config.resolved_retention_days)
    result = ClusterResult(report, iso(now), round(duration, 3), first_seen=update.first_seen)
    key = put_result(client(config.aws, "s3"), config.bucket, request.run_id, result)
    if config.topic_arn and update.new_outages:
        publish_new_outages(client(config.aws, "sns"), config.topic_arn, request.cluster, request.run_id,
                            update.new_outages)
    counted = record_cluster(ddb, config.table, request.run_id, request.run_size,
                             {"cluster": request.cluster, "state": "scanned", "result_key": key,
                              "scanned_at": iso(now), "duration_seconds": round(duration, 3), **summary.to_dict()},
                             expiry(now, config.run_retention_days))
    if not counted:
        log.info("a concurrent delivery recorded this cluster first: not counted again")
        finish_run(config, request.run_id, ends_at, log)
        return "duplicate"
    emit_cluster_metrics(request.cluster, summary, duration)
    log.info("cluster scanned", extra={**summary.to_dict(), "duration_seconds": round(duration, 3),
                                       "new_outages": len(update.new_outages), "resolved": len(update.resolved)})
    finish_run(config, request.run_id, ends_at, log)
    return "scanned"


def _scan(request: ScanRequest, config: ScanConfig, deadline: float):
    """The cluster's report; ClusterError (one line) when it cannot be audited this time (the queue retries it)."""
    if deadline <= time.monotonic():
        raise ClusterError("no time left in this invocation to list the cluster", reason="timeout")
    access = access_for(config.inventory, request.run_id, request.cluster)
    report = scan_cluster(access, owners=config.owners, listing=ListOptions(config.page_size, deadline), timeout=None)
    failure = cluster_failure(report)
    if failure is not None:
        raise ClusterError(failure)
    return report


def _record_failure(request: ScanRequest, config: ScanConfig, message: str, now: datetime, duration: float,
                    ends_at: int, log: logging.Logger) -> None:
    """Counts a cluster that failed its last attempt, so the run's report is still written."""
    try:
        result = failed_result(request.cluster, message, iso(now), round(duration, 3))
        key = put_result(client(config.aws, "s3"), config.bucket, request.run_id, result)
        record_cluster(client(config.aws, "dynamodb"), config.table, request.run_id, request.run_size,
                       {"cluster": request.cluster, "state": "failed", "error": message, "result_key": key,
                        "scanned_at": iso(now), "duration_seconds": round(duration, 3)},
                       expiry(now, config.run_retention_days))
        finish_run(config, request.run_id, ends_at, log)
    except Exception as err:  # the scan failure is what matters; this is bookkeeping on top
        log.error(f"could not record the failure: {type(err).__name__}: {err}")


def finish_run(config: ScanConfig, run_id: str, ends_at: int, log: logging.Logger) -> None:
    """Writes the fleet report once every cluster of the run has reported, if this caller claims it."""
    ddb, s3 = client(config.aws, "dynamodb"), client(config.aws, "s3")
    if not claim_report(ddb, config.table, run_id, int(time.time()), ends_at):
        return
    summaries = cluster_summaries(ddb, config.table, run_id)
    results: list[ClusterResult] = get_results(s3, config.bucket, [s["result_key"] for s in summaries])
    generated = iso(datetime.now(UTC))
    keys = write_fleet_report(s3, config.bucket, run_id, results, generated)
    mark_reported(ddb, config.table, run_id, keys["json"], generated)
    log.info("fleet report written", extra={"clusters": len(results), "report_json": keys["json"],
                                            "report_html": keys["html"]})
