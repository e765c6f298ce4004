"""`sliceaudit predict`: the audit a cluster would give once rendered manifests are applied."""

from __future__ import annotations

import json
import sys
from importlib.metadata import PackageNotFoundError, version

import click

from sliceaudit.api.kinds import PREDICT_LIVE
from sliceaudit.audit.report import Report
from sliceaudit.audit.terms import Status
from sliceaudit.cli.errors import UsageFailure
from sliceaudit.cli.manifests import read_manifests
from sliceaudit.cli.scan import FAIL_ON, emit, exit_status
from sliceaudit.predict import predict
from sliceaudit.render.sarif import sarif

LIVE_DEADLINE = 120.0


def live_objects(kubeconfig: str | None, context: str) -> dict[str, list[dict]]:
    """Services, Pods, ReplicaSets and EndpointSlices of one live cluster, as the API serves them."""
    import msgspec

    from sliceaudit.kube.clusters import connect, kubeconfig_clusters
    from sliceaudit.kube.errors import ClusterError
    from sliceaudit.kube.pages import ListOptions, fetch_page

    try:
        (access,) = kubeconfig_clusters(kubeconfig, (context,), False)
        listing = ListOptions().within(LIVE_DEADLINE)
        out: dict[str, list[dict]] = {}
        with connect(access) as client:
            for kind in PREDICT_LIVE:
                token = None
                while True:
                    page = msgspec.json.decode(fetch_page(client, kind, listing=listing, continue_token=token))
                    out.setdefault(kind, []).extend(i for i in page.get("items") or () if isinstance(i, dict))
                    token = (page.get("metadata") or {}).get("continue")
                    if not token:
                        break
        return out
    except ClusterError as err:
        raise UsageFailure(f"context {context}: {err}") from None
    except (msgspec.DecodeError, AttributeError) as err:
        raise UsageFailure(f"context {context}: malformed list response: {err}") from None


def _version() -> str:
    try:
        return version("sliceaudit")
    except PackageNotFoundError:
        return "0"


@click.command("predict")
@click.option("--file", "-f", "files", multiple=True, metavar="PATH", required=True,
              help="Rendered manifests (helm template, kustomize build, YAML or JSON); - for stdin. Repeatable.")
@click.option("--namespace", "-n", default="default", show_default=True,
              help="Namespace of objects that name none (as kubectl apply -n).")
@click.option("--output", "-o", type=click.Choice(["table", "json", "sarif"]), default="table", show_default=True)
@click.option("--fail-on", type=click.Choice(list(FAIL_ON)), default=Status.OUTAGE.value, show_default=True,
              help="Exit 1 when some Service is at or above this status.")
@click.option("--show-ok", is_flag=True, help="List healthy Services in the table too.")
@click.option("--kubeconfig", metavar="PATH", help="Kubeconfig for --context [default: $KUBECONFIG or ~/.kube/config].")
@click.option("--context", metavar="NAME", help="Add what runs in this live cluster (Services, Pods, ReplicaSets, "
              "the slices of selector-less Services).")
def command(files: tuple[str, ...], namespace: str, output: str, fail_on: str, show_ok: bool,
            kubeconfig: str | None, context: str | None) -> int:
    """Predict the EndpointSlices of rendered manifests and audit them, before anything is deployed."""
    manifests, unreadable = [], []
    for path in files:
        read, rejected = read_manifests(path)
        manifests += read
        unreadable += rejected
    live = live_objects(kubeconfig, context) if context else None
    prediction = predict(manifests, namespace=namespace, cluster=context or "manifests", live=live,
                         unreadable=unreadable)
    report = Report(clusters=[prediction.report])
    if not prediction.report.services:
        raise UsageFailure("no Service in the manifests" + (f" or in context {context}" if context else "")
                           + ": nothing to predict")
    if output == "sarif":
        sys.stdout.write(json.dumps(sarif(prediction.report, prediction.locations, _version()), indent=1) + "\n")
    else:
        emit(report, output, show_ok)
    return exit_status(report, fail_on, [])
