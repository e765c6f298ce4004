"""Scan one cluster, or several side by side into one Report: the CLI, the Lambda and the benchmarks run these."""

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
from sliceaudit.kube.pages import ListOptions
from sliceaudit.live.namespaces import audit_live
from sliceaudit.live.owners import Owners

log = logging.getLogger(__name__)

WORKERS = 4
CLUSTER_TIMEOUT = 300.0
# Every read checks the deadline, but a server can still stall one read (its headers a byte at a
# time): past the deadline and this grace the cluster is reported timed out and its thread left behind.
GRACE = 2.0
CLUSTER_ENTRY = "cluster"   # the `object` of the errors entry of a cluster that could not be audited


def scan_cluster(access: ClusterAccess, *, owners: Owners = Owners.NEEDED, listing: ListOptions = ListOptions(),
                 timeout: float | None = CLUSTER_TIMEOUT, consumers: Sequence[Present] | None = None) -> ClusterReport:
    """One cluster's report, connecting included, by `listing.deadline` or `timeout` seconds from now (the
    earlier; None for neither); a cluster that cannot be audited gets one `cluster_failure` entry instead of
    services, never an exception."""
    started = time.monotonic()
    listing = listing.within(timeout or None, now=started)
    if listing.deadline is None:
        return _scan(access, owners, listing, consumers)
    done: list[ClusterReport] = []
    worker = threading.Thread(target=lambda: done.append(_scan(access, owners, listing, consumers)),
                              name=f"cluster-scan-{access.name}", daemon=True)
    worker.start()
    worker.join(max(0.0, listing.deadline - time.monotonic()) + GRACE)
    if done:
        return done[0]
    return _failed(access, f"timed out after {round(listing.deadline - started, 3):g} s")


def cluster_failure(report: ClusterReport) -> str | None:
    """Why the cluster could not be audited at all (one line), or None when it was."""
    return next((e.message for e in report.errors if e.object == CLUSTER_ENTRY), None)


def _failed(access: ClusterAccess, message: str) -> ClusterReport:
    return ClusterReport(access.name, [], [ErrorEntry(CLUSTER_ENTRY, message)])


def _scan(access: ClusterAccess, owners: Owners, listing: ListOptions,
          consumers: Sequence[Present] | None) -> ClusterReport:
    try:
        with connect(access, deadline=listing.deadline) as client:
            return audit_live(client, access.name, owners=owners, listing=listing, consumers=consumers)
    except ClusterError as err:
        return _failed(access, str(err))
    except Exception as err:  # a bug met on one cluster must not cost the others their report
        log.exception("scanning cluster %s failed", access.name)
        return _failed(access, f"internal error: {type(err).__name__}")


def scan_clusters(accesses: Sequence[ClusterAccess], *, owners: Owners = Owners.NEEDED,
                  listing: ListOptions = ListOptions(), timeout: float | None = CLUSTER_TIMEOUT, workers: int = WORKERS,
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
        futures = {pool.submit(scan_cluster, a, owners=owners, listing=listing, timeout=timeout,
                               consumers=consumers): i
                   for i, a in enumerate(accesses)}
        for future in as_completed(futures):
            i = futures[future]
            reports[i] = future.result()
            if progress is not None:
                progress(accesses[i], reports[i])
    return Report(clusters=list(reports))
