"""Scan several clusters side by side into one Report; shared by the CLI and the Lambda."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from sliceaudit.consumers.detect import Present
from sliceaudit.core.report import ClusterReport, ErrorEntry, Report
from sliceaudit.kube.clusters import ClusterAccess, connect
from sliceaudit.kube.errors import ClusterError
from sliceaudit.kube.live_audit import audit_live

log = logging.getLogger(__name__)

WORKERS = 4
CLUSTER_TIMEOUT = 300.0


def scan_cluster(access: ClusterAccess, *, owners: str = "needed", page_size: int = 500,
                 timeout: float | None = CLUSTER_TIMEOUT, consumers: Sequence[Present] | None = None) -> ClusterReport:
    """One cluster's report; a failure becomes its one-line `errors` entry, never an exception."""
    deadline = time.monotonic() + timeout if timeout else None
    try:
        with connect(access) as client:
            return audit_live(client, access.name, owners=owners, page_size=page_size, deadline=deadline,
                              consumers=consumers)
    except ClusterError as err:
        return ClusterReport(access.name, [], [ErrorEntry("cluster", str(err))])
    except Exception as err:  # a bug met on one cluster must not cost the others their report
        log.exception("scanning cluster %s failed", access.name)
        return ClusterReport(access.name, [], [ErrorEntry("cluster", f"internal error: {type(err).__name__}")])


def scan_clusters(accesses: Sequence[ClusterAccess], *, owners: str = "needed", page_size: int = 500,
                  timeout: float | None = CLUSTER_TIMEOUT, workers: int = WORKERS,
                  progress: Callable[[ClusterAccess, ClusterReport], object] | None = None,
                  consumers: Sequence[Present] | None = None) -> Report:
    """Every cluster concurrently (a small pool); clusters[] in the order given.

    `progress(access, cluster_report)` is called in the caller's thread as each cluster finishes.
    `consumers` (declared with --consumer) apply to every cluster; None detects each cluster's own.
    """
    reports: list[ClusterReport | None] = [None] * len(accesses)
    if not accesses:
        return Report(clusters=[])
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(accesses))),
                            thread_name_prefix="scan") as pool:
        futures = {pool.submit(scan_cluster, a, owners=owners, page_size=page_size, timeout=timeout,
                               consumers=consumers): i
                   for i, a in enumerate(accesses)}
        for future in as_completed(futures):
            i = futures[future]
            reports[i] = future.result()
            if progress is not None:
                progress(accesses[i], reports[i])
    return Report(clusters=list(reports))
