"""Every entry point audits the same objects the same way: each golden fixture (the audit's cases and
the consumer models' shapes) is audited from a file through the CLI, from the simulated API server
serving the same objects (the CLI's live scan), and through the exporter's held state, with every
registered consumer declared, and the three results are equal: reports, consumer impacts and gauges."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
import yaml

from exporter.config import parse_consumers
from exporter.metrics.consumer import broken_backends
from exporter.metrics.service import ServiceValues
from exporter.state import ClusterState
from sliceaudit.api.decode import WatchEvent, decode_list
from sliceaudit.audit.report import ServiceReport, severity
from sliceaudit.audit.terms import Code, Status
from sliceaudit.consumers.registry import CONSUMERS
from sliceaudit.sim.apiserver.server import ApiServer
from sliceaudit.sim.fleetrun import kubeconfig_for

HERE = Path(__file__).parent
SHAPES = yaml.safe_load((HERE / "consumers" / "golden" / "shapes.yaml").read_text())["shapes"]
# fixture name -> its objects: the audit's golden cases, then the shapes every consumer model is checked on
GOLDEN = {**{path.stem: yaml.safe_load(path.read_text())["objects"]
             for path in sorted((HERE / "audit" / "golden").glob("*.yaml"))},
          **{f"shape_{name}": shape["objects"] for name, shape in SHAPES.items()}}
SLICEAUDIT = str(Path(sys.executable).with_name("sliceaudit"))
KINDS = ("Service", "EndpointSlice", "Pod", "ReplicaSet", "Deployment", "StatefulSet", "DaemonSet")
# every registered consumer at an unknown version: each of its modelled behaviours is judged
DECLARED = tuple(c.name for c in CONSUMERS)
CONSUMER_FLAGS = tuple(arg for name in DECLARED for arg in ("--consumer", name))


def objects_of(name: str) -> list[dict]:
    """The fixture's objects an API server could hold (a bare string is no object of any kind)."""
    return [o for o in GOLDEN[name] if isinstance(o, dict)]


def by_kind(objects: list[dict]) -> dict[str, list[dict]]:
    return {kind: [o for o in objects if o.get("kind") == kind] for kind in KINDS}


def scan(*args: str) -> dict:
    result = subprocess.run([SLICEAUDIT, "scan", *args, *CONSUMER_FLAGS, "--output", "json", "--fail-on", "never"],
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
        servers = {name: stack.enter_context(ApiServer(by_kind(objects_of(name)), name=name)) for name in GOLDEN}
        config = tmp_path_factory.mktemp("kube") / "config.json"
        config.write_text(json.dumps(kubeconfig_for(servers)))
        report = scan("--kubeconfig", str(config), "--all-contexts")
    assert report["errors"] == []
    return {c["name"]: c for c in report["clusters"]}


def exporter_state(objects: list[dict], *, events: bool) -> ClusterState:
    """The exporter's state after a list of Services and of slices (or slice events, in reverse)."""
    state = ClusterState("golden", clock=lambda: 0.0, consumers=parse_consumers(DECLARED))
    pages = {kind: decode_list(kind, msgspec.json.encode({"metadata": {}, "items": items}))
             for kind, items in by_kind(objects).items() if kind in ("Service", "EndpointSlice")}
    state.apply_list("Service", pages["Service"].items)
    if events:
        state.apply_list("EndpointSlice", [])
        for s in reversed(pages["EndpointSlice"].items):
            state.apply_event("EndpointSlice", WatchEvent("ADDED", s, None, s.metadata.resource_version))
    else:
        state.apply_list("EndpointSlice", pages["EndpointSlice"].items)
    return state


def impacts(services) -> dict[tuple[str, str, str, str], list]:
    """Per Service and consumer behaviour, where that consumer routes the Service unlike kube-proxy."""
    return {(s["namespace"], s["name"], i["consumer"], i["behaviour"]): i for s in services for i in s["impact"]}


@pytest.mark.parametrize("name", GOLDEN)
def test_file_live_and_exporter_agree(name, live_clusters, tmp_path):
    objects = objects_of(name)
    listing = tmp_path / "objects.json"
    listing.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    (from_file,) = scan("--file", str(listing), "--cluster-name", name)["clusters"]

    assert comparable(live_clusters[name]) == comparable(from_file)

    consumers = parse_consumers(DECLARED)
    gauges = {(s["namespace"], s["name"]): ServiceValues(severity(s["status"]), (
                  s["endpoints"], s["null_port_endpoints"], s["port_zero_endpoints"], int(s["status"] == Status.OUTAGE),
                  int(any(f["code"] == Code.TERMINATING_ONLY for f in s["findings"])),
                  # the consumer gauges, as the exporter reads them from an impact: here the CLI's
                  *(broken_backends(msgspec.convert(s, ServiceReport), c) for c in consumers)))
              for s in from_file["services"]}
    for events in (False, True):
        state = exporter_state(objects, events=events)
        assert state.values() == gauges
        held = [msgspec.to_builtins(state.report(key)) for key in gauges]
        assert impacts(held) == impacts(from_file["services"])
