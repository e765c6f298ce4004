"""`sliceaudit scan`: audit objects from files or live clusters and print a table or the JSON report."""

from __future__ import annotations

import sys

import click

from sliceaudit.cli.errors import UsageFailure
from sliceaudit.cli.files import snapshot_from_files
from sliceaudit.core.audit import audit_cluster
from sliceaudit.core.report import Report, encode_report, severity, worst_status
from sliceaudit.core.table import render_table

FAIL_ON = {"degraded": severity("degraded"), "outage": severity("outage"), "never": None}


def exit_status(report: Report, fail_on: str) -> int:
    """1 when some Service is at or above --fail-on, else 0."""
    threshold = FAIL_ON[fail_on]
    worst = worst_status(report)
    return 1 if threshold is not None and worst is not None and severity(worst) >= threshold else 0


def emit(report: Report, output: str, show_ok: bool) -> None:
    if output == "json":
        sys.stdout.buffer.write(encode_report(report) + b"\n")
        sys.stdout.flush()
    else:
        click.echo(render_table(report, color=sys.stdout.isatty(), show_ok=show_ok), nl=False)


@click.command("scan")
@click.option("--file", "-f", "files", multiple=True, metavar="PATH",
              help="kubectl get -o json|yaml output, a List or multi-document YAML; - for stdin. Repeatable.")
@click.option("--cluster-name", default="files", show_default=True, help="Cluster name for objects from files.")
@click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--fail-on", type=click.Choice(list(FAIL_ON)), default="outage", show_default=True,
              help="Exit 1 when some Service is at or above this status.")
@click.option("--show-ok", is_flag=True, help="List healthy Services in the table too.")
def command(files: tuple[str, ...], cluster_name: str, output: str, fail_on: str, show_ok: bool) -> int:
    """Audit EndpointSlices for ports: null, number-less ports and port 0."""
    if not files:
        raise UsageFailure("nothing to scan: give --file PATH (or - for stdin)")
    report = Report(clusters=[audit_cluster(cluster_name, snapshot_from_files(list(files)))])
    emit(report, output, show_ok)
    return exit_status(report, fail_on)
