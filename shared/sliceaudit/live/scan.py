"""Scan several clusters side by side into one Report; shared by the CLI and the Lambda."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from sliceaudit.audit.report import ClusterReport, ErrorEntry, Report
from sliceaudit.consumers.detect import Present
from sliceaudit.kube.clusters import ClusterAccess, connect
from sliceaudit.kube.errors import ClusterError
from sliceaudit.live.namespaces import audit_live
from sliceaudit.live.owners import Owners

log = logging.getLogger(__name__)

WORKERS = 4
CLUSTER_TIMEOUT = 300.0
# Every read checks the deadline, but a server can still stall one read (its headers a byte at a
# time): past the deadline and this grace the cluster is reported timed out and its thread left behind.
GRACE = 2.0


def scan_cluster(access: ClusterAccess, *, owners: Owners = Owners.NEEDED, page_size: int = 500,
                 timeout: float | None = CLUSTER_TIMEOUT,
                 consumers: Sequence[Present] | None = None) -> ClusterReport:
    """One cluster's report within `timeout` seconds (connecting included); a failure becomes its
    one-line `errors` entry, never an exception."""
    if not timeout:
        return _scan(access, owners, page_size, None, consumers)
    deadline = time.monotonic() + timeout
    done: list[ClusterReport] = []
    worker = threading.Thread(target=lambda: done.append(_scan(access, owners, page_size, deadline, consumers)),
                              name=f"cluster-scan-{access.name}", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()) + GRACE)
    if done:
        return done[0]
    return ClusterReport(access.name, [], [ErrorEntry("cluster", f"timed out after {timeout:g} s")])


def _scan(access: ClusterAccess, owners: Owners, page_size: int, deadline: float | None,
          consumers: Sequence[Present] | None) -> ClusterReport:
    try:
        with connect(access, deadline=deadline) as client:
            return audit_live(client, access.name, owners=owners, page_size=page_size, deadline=deadline,
                              consumers=consumers)
    except ClusterError as err:
        return ClusterReport(access.name, [], [ErrorEntry("cluster", str(err))])
    except Exception as err:  # a bug met on one cluster must not cost the others their report
        log.exception("scanning cluster %s failed", access.name)
        return ClusterReport(access.name, [], [ErrorEntry("cluster", f"internal error: {type(err).__name__}")])


def scan_clusters(accesses: Sequence[ClusterAccess], *, owners: Owners = Owners.NEEDED, page_size: int = 500,
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
