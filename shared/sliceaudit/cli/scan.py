"""`sliceaudit scan`: audit objects from files or live clusters and print a table or the JSON report."""

from __future__ import annotations

import os
import sys

import click

from sliceaudit.audit.cluster import audit_cluster
from sliceaudit.audit.report import Report, encode_report, severity, worst_status
from sliceaudit.audit.terms import Status
from sliceaudit.cli.errors import UsageFailure
from sliceaudit.cli.files import MAX_INPUT_MB, snapshot_from_files
from sliceaudit.consumers.detect import ConsumerFlagError, Present, parse_consumer
from sliceaudit.live.owners import Owners
from sliceaudit.render.table import render_table

# Plain strings as keys: click matches an Enum choice by its member's name, not its value.
FAIL_ON = {s.value: severity(s) for s in (Status.DEGRADED, Status.OUTAGE)} | {"impact": None, "never": None}
CLUSTER_TIMEOUT = 300.0   # live.scan.CLUSTER_TIMEOUT, not imported: file scans never load the Kubernetes client


def consumer_hit(report: Report) -> bool:
    """Some consumer in use routes some Service differently from kube-proxy (or fails cluster-wide)."""
    return any(s.impact for c in report.clusters for s in c.services) or any(
        p.findings for c in report.clusters for p in c.consumers)


def declared_consumers(values: tuple[str, ...]) -> list[Present] | None:
    """--consumer values; None when none were given (then each cluster's are detected)."""
    try:
        return [parse_consumer(v) for v in values] if values else None
    except ConsumerFlagError as err:
        raise UsageFailure(str(err)) from None


def exit_status(report: Report, fail_on: str, failures: list[str]) -> int:
    """2 when something asked for could not be audited, else 1 when some Service is at or above
    --fail-on (for `impact`: some consumer in use is hit), else 0."""
    if failures:
        return 2
    if fail_on == "impact":
        return 1 if consumer_hit(report) else 0
    threshold = FAIL_ON[fail_on]
    worst = worst_status(report)
    return 1 if threshold is not None and worst is not None and severity(worst) >= threshold else 0


def cluster_failures(report: Report) -> list[str]:
    """One line per cluster that could not be audited."""
    from sliceaudit.live.scan import cluster_failure  # live scans only: the Kubernetes client is loaded

    return [f"cluster {c.name}: {failure}" for c in report.clusters if (failure := cluster_failure(c)) is not None]


def emit(report: Report, output: str, show_ok: bool) -> None:
    """The report on standard output; a closed pipe or a full disk is one line, not a traceback."""
    try:
        if output == "json":
            sys.stdout.buffer.write(encode_report(report) + b"\n")
        else:
            sys.stdout.write(render_table(report, color=sys.stdout.isatty(), show_ok=show_ok))
        sys.stdout.flush()
    except OSError as err:
        # Python flushes stdout again at exit: point it at /dev/null so that flush has nowhere to fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise UsageFailure(f"cannot write the report to standard output: {err.strerror or err}") from None


def check_stdout() -> None:
    if sys.stdout is None:
        raise UsageFailure("standard output is closed: nowhere to write the report")


def scan_live(kubeconfig: str | None, contexts: tuple[str, ...], all_contexts: bool, in_cluster: bool,
              owners: Owners, timeout: float, consumers: list[Present] | None = None) -> Report:
    """Live clusters side by side, with a progress bar when stderr is a terminal."""
    # Imported here so the file mode never pays for the Kubernetes client.
    from sliceaudit.kube.clusters import in_cluster as in_cluster_access
    from sliceaudit.kube.clusters import kubeconfig_clusters
    from sliceaudit.kube.errors import ClusterError
    from sliceaudit.live.scan import scan_clusters

    try:
        accesses = [in_cluster_access()] if in_cluster else []
        if kubeconfig or contexts or all_contexts:
            accesses += kubeconfig_clusters(kubeconfig, contexts, all_contexts)
    except ClusterError as err:
        raise UsageFailure(str(err)) from None
    if sys.stderr is None or not sys.stderr.isatty():
        return scan_clusters(accesses, owners=owners, timeout=timeout, consumers=consumers)
    with click.progressbar(length=len(accesses), label="scanning clusters", file=sys.stderr) as bar:
        return scan_clusters(accesses, owners=owners, timeout=timeout, consumers=consumers,
                             progress=lambda access, report: bar.update(1))


@click.command("scan")
@click.option("--file", "-f", "files", multiple=True, metavar="PATH",
              help="kubectl get -o json|yaml output, a List or multi-document YAML; - for stdin. Repeatable.")
@click.option("--cluster-name", default="files", show_default=True, help="Cluster name for objects from files.")
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--fail-on", type=click.Choice(list(FAIL_ON)), default=Status.OUTAGE.value, show_default=True,
              help="Exit 1 when some Service is at or above this status (impact: when a consumer in use is hit).")
@click.option("--consumer", "consumers", multiple=True, metavar="NAME[@VERSION]",
              help="A proxy in use (skipper@v0.21.146, ingress-nginx@1.9.4, traefik); overrides detection from "
                   "workload images. Repeatable.")
@click.option("--show-ok", is_flag=True, help="List healthy Services in the table too.")
@click.option("--kubeconfig", metavar="PATH",
              help="Kubeconfig of live clusters [default: $KUBECONFIG or ~/.kube/config].")
@click.option("--context", "contexts", multiple=True, metavar="NAME", help="Scan this kubeconfig context. Repeatable.")
@click.option("--all-contexts", is_flag=True, help="Scan every context of the kubeconfig.")
@click.option("--in-cluster", "in_cluster", is_flag=True, help="Scan the cluster this runs in (its service account).")
@click.option("--owners", type=click.Choice([o.value for o in Owners]), default=Owners.NEEDED.value, show_default=True,
              callback=lambda _ctx, _param, value: Owners(value),
              help="Live: read Pods and owners for root cause only where findings are, everywhere, or not at all.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=CLUSTER_TIMEOUT, show_default=True,
              metavar="SECONDS", help="Live: wall clock per cluster, connecting and credentials included.")
@click.option("--max-input-mb", type=click.FloatRange(min=0, min_open=True), default=MAX_INPUT_MB, show_default=True,
              metavar="MB", help="Files: refuse an input larger than this.")
def command(files: tuple[str, ...], cluster_name: str, output: str, fail_on: str, show_ok: bool,
            consumers: tuple[str, ...], kubeconfig: str | None, contexts: tuple[str, ...], all_contexts: bool,
            in_cluster: bool, owners: Owners, timeout: float, max_input_mb: float) -> int:
    """Audit EndpointSlices for ports: null, number-less ports and port 0."""
    live = bool(kubeconfig or contexts or all_contexts or in_cluster)
    if files and live:
        raise UsageFailure("give --file or live clusters (--kubeconfig, --context, --all-contexts, --in-cluster), "
                           "not both")
    if not files and not live:
        raise UsageFailure("nothing to scan: give --file PATH (or - for stdin), or --context NAME, "
                           "--all-contexts, --in-cluster")
    declared = declared_consumers(consumers)
    check_stdout()
    if live:
        report = scan_live(kubeconfig, contexts, all_contexts, in_cluster, owners, timeout, declared)
        failures = cluster_failures(report)
    else:
        read = snapshot_from_files(list(files), max_input_mb)
        report = Report(clusters=[audit_cluster(cluster_name, read.snapshot, declared)])
        failures = read.failures
    emit(report, output, show_ok)
    for line in failures:
        click.echo(f"sliceaudit: {line}", err=True)
    return exit_status(report, fail_on, failures)
