"""The fleet report in S3: each cluster's result as it is scanned, then the run's JSON and HTML."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import msgspec

from sliceaudit.audit.report import ClusterReport, ErrorEntry, Report, encode_report
from sliceaudit.render.html import render_html


class ClusterResult(msgspec.Struct):
    """One cluster's audit in a run, and when each of its problems was first seen."""

    cluster: ClusterReport
    scanned_at: str
    duration_seconds: float = 0.0
    failed: bool = False
    first_seen: dict[str, str] = {}


def failed_result(cluster: str, message: str, scanned_at: str, duration: float) -> ClusterResult:
    report = ClusterReport(cluster, [], [ErrorEntry(f"cluster {cluster}", message)])
    return ClusterResult(report, scanned_at, duration, failed=True)


def run_prefix(run_id: str) -> str:
    return f"runs/{run_id}/"


def result_key(run_id: str, cluster: str) -> str:
    return f"{run_prefix(run_id)}clusters/{quote(cluster, safe='')}.json"


def put_result(s3, bucket: str, run_id: str, result: ClusterResult) -> str:
    key = result_key(run_id, result.cluster.name)
    s3.put_object(Bucket=bucket, Key=key, Body=msgspec.json.encode(result), ContentType="application/json")
    return key


def get_results(s3, bucket: str, keys: Iterable[str]) -> list[ClusterResult]:
    """Every cluster's result of a run, by cluster name; fetched side by side (a fleet has thousands)."""

    def fetch(key: str) -> ClusterResult:
        return msgspec.json.decode(s3.get_object(Bucket=bucket, Key=key)["Body"].read(), type=ClusterResult)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(fetch, keys))
    return sorted(results, key=lambda r: r.cluster.name)


def fleet_report(results: Iterable[ClusterResult]) -> Report:
    return Report(clusters=[r.cluster for r in results])


def write_fleet_report(s3, bucket: str, run_id: str, results: list[ClusterResult], generated_at: str) -> dict:
    """The run's report.json (the BRIEF's schema) and report.html, also copied under latest/."""
    body = encode_report(fleet_report(results))
    page = render_html(run_id, generated_at, results).encode()
    keys = {"json": f"{run_prefix(run_id)}report.json", "html": f"{run_prefix(run_id)}report.html"}
    for prefix in (run_prefix(run_id), "latest/"):
        meta = {"run-id": run_id, "generated-at": generated_at}
        s3.put_object(Bucket=bucket, Key=f"{prefix}report.json", Body=body, ContentType="application/json",
                      Metadata=meta)
        s3.put_object(Bucket=bucket, Key=f"{prefix}report.html", Body=page,
                      ContentType="text/html; charset=utf-8", Metadata=meta)
    return keys
