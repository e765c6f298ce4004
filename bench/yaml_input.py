"""`scan --file` of a big cluster: `kubectl get -A -o yaml` against `-o json` of the same objects.

The input is 20,000 EndpointSlices of 5 endpoints and their Services (about 55 MB of YAML, the
size issue 10 measured: 65 s and 2.7 GB with PyYAML then), written as kubectl writes them (block
style, no aliases, no managedFields, JSON indented by 4). Each scan runs in a fresh process
(bench/probe.py): time and peak RSS of that scan alone, runs interleaved with the JSON baseline.
Targets: YAML within 5x of JSON, and under 600 MB.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path

from bench.probe import interleaved, rss_mb, serve
from bench.results import Figure, at_most, figure, ratio_at_most

SLICES = 20_000
ENDPOINTS = 5


def write_inputs(directory: Path) -> tuple[Path, Path]:
    import yaml

    from sliceaudit.sim.world.large import large_cluster

    cluster = large_cluster("bench", slices=SLICES, endpoints=ENDPOINTS, truth=False)
    items = [o for kind in ("Service", "EndpointSlice") for o in cluster.objects[kind]]
    for o in items:
        o["metadata"].pop("managedFields", None)   # kubectl hides them by default
    doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    as_json, as_yaml = directory / "cluster.json", directory / "cluster.yaml"
    as_json.write_text(json.dumps(doc, indent=4))

    class Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
        def ignore_aliases(self, data):
            return True   # kubectl never writes anchors; the generator shares objects

    with as_yaml.open("w") as f:
        yaml.dump(doc, f, Dumper=Dumper, default_flow_style=False)
    return as_json, as_yaml


def probe_scan(path: str) -> dict:
    """`sliceaudit scan -f PATH -o json` in this process, its report thrown away."""
    from sliceaudit.cli.main import main

    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        start = time.perf_counter()
        code = main(["scan", "-f", path, "-o", "json", "--fail-on", "never"])
        seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"scan exited {code}")
    return {"seconds": seconds, "rss_mb": rss_mb("VmHWM")}


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        as_json, as_yaml = write_inputs(Path(tmp))
        print(f"   input: {SLICES} EndpointSlices x {ENDPOINTS} endpoints: YAML {as_yaml.stat().st_size / 1e6:.0f} MB, "
              f"JSON {as_json.stat().st_size / 1e6:.0f} MB")
        yaml_runs, json_runs = interleaved("bench.yaml_input", [("scan", str(as_yaml)), ("scan", str(as_json))])
    return [
        figure("files: scan -f of kubectl -o yaml (target <= 5x JSON)", [r["seconds"] for r in yaml_runs], "s",
               "the same objects as kubectl -o json", [r["seconds"] for r in json_runs], targets=[ratio_at_most(5)]),
        figure("files: peak RSS scan -f of -o yaml (target 600 MB)", [r["rss_mb"] for r in yaml_runs], "MB",
               "the same objects as -o json", [r["rss_mb"] for r in json_runs], targets=[at_most(600)]),
    ]


if __name__ == "__main__":
    serve({"scan": probe_scan})
