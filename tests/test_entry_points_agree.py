"""Every entry point audits the same objects the same way: each golden fixture is audited from a file
through the CLI, from the simulated API server serving the same objects (the CLI's live scan), and
through the exporter's held state, and the three results are equal."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
import yaml

from exporter.metrics.service import ServiceValues
from exporter.state import ClusterState
from sliceaudit.api.decode import WatchEvent, decode_list
from sliceaudit.audit.report import severity
from sliceaudit.audit.terms import Code, Status
from sliceaudit.sim.apiserver.server import ApiServer
from sliceaudit.sim.fleetrun import kubeconfig_for

GOLDEN = sorted((Path(__file__).parent / "audit" / "golden").glob("*.yaml"))
SLICEAUDIT = str(Path(sys.executable).with_name("sliceaudit"))
KINDS = ("Service", "EndpointSlice", "Pod", "ReplicaSet", "Deployment", "StatefulSet", "DaemonSet")


def objects_of(path: Path) -> list[dict]:
    """The fixture's objects an API server could hold (a bare string is no object of any kind)."""
    return [o for o in yaml.safe_load(path.read_text())["objects"] if isinstance(o, dict)]


def by_kind(objects: list[dict]) -> dict[str, list[dict]]:
    return {kind: [o for o in objects if o.get("kind") == kind] for kind in KINDS}


def scan(*args: str) -> dict:
    result = subprocess.run([SLICEAUDIT, "scan", *args, "--output", "json", "--fail-on", "never"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def comparable(cluster: dict) -> dict:
    """A cluster's report without its name; errors in a stable order (files and lists order them apart)."""
    return {"services": cluster["services"], "errors": sorted(cluster["errors"], key=lambda e: e["object"])}


@pytest.fixture(scope="module")
def live_clusters(tmp_path_factory):
    """One simulated API server per fixture, all scanned in one `sliceaudit scan --all-contexts`."""
    with contextlib.ExitStack() as stack:
        servers = {path.stem: stack.enter_context(ApiServer(by_kind(objects_of(path)), name=path.stem))
                   for path in GOLDEN}
        config = tmp_path_factory.mktemp("kube") / "config.json"
        config.write_text(json.dumps(kubeconfig_for(servers)))
        report = scan("--kubeconfig", str(config), "--all-contexts")
    assert report["errors"] == []
    return {c["name"]: c for c in report["clusters"]}


def exporter_values(objects: list[dict], *, events: bool) -> dict[tuple[str, str], ServiceValues]:
    """What the exporter's gauges hold after a list of Services and of slices (or slice events, in reverse)."""
    state = ClusterState("golden", clock=lambda: 0.0)
    pages = {kind: decode_list(kind, msgspec.json.encode({"metadata": {}, "items": items}))
             for kind, items in by_kind(objects).items() if kind in ("Service", "EndpointSlice")}
    state.apply_list("Service", pages["Service"].items)
    if events:
        state.apply_list("EndpointSlice", [])
        for s in reversed(pages["EndpointSlice"].items):
            state.apply_event("EndpointSlice", WatchEvent("ADDED", s, None, s.metadata.resource_version))
    else:
        state.apply_list("EndpointSlice", pages["EndpointSlice"].items)
    return state.values()


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_file_live_and_exporter_agree(path, live_clusters, tmp_path):
    objects = objects_of(path)
    listing = tmp_path / "objects.json"
    listing.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    (from_file,) = scan("--file", str(listing), "--cluster-name", path.stem)["clusters"]

    assert comparable(live_clusters[path.stem]) == comparable(from_file)

    gauges = {(s["namespace"], s["name"]): ServiceValues(severity(s["status"]), (
                  s["endpoints"], s["null_port_endpoints"], s["port_zero_endpoints"], int(s["status"] == Status.OUTAGE),
                  int(any(f["code"] == Code.TERMINATING_ONLY for f in s["findings"]))))
              for s in from_file["services"]}
    assert exporter_values(objects, events=False) == gauges
    assert exporter_values(objects, events=True) == gauges
