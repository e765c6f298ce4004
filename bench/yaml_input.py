"""`scan --file` of a big cluster: `kubectl get -A -o yaml` against `-o json` of the same objects.

The input is 20,000 EndpointSlices of 5 endpoints and their Services (about 55 MB of YAML, the
size issue 10 measured: 65 s and 2.7 GB with PyYAML then), written as kubectl writes them (block
style, keys sorted, sequences at their key's indentation, no aliases, no managedFields; JSON
indented by 4). Each scan runs in a fresh process (bench/probe.py): time and peak RSS of that scan
alone, runs interleaved with the JSON baseline; the two reports must be the same. Targets: YAML
within 5x of JSON, and under 600 MB.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import tempfile
import time
from pathlib import Path

from bench.probe import interleaved, rss_mb, serve
from bench.results import Figure, at_most, figure, ratio_at_most

SLICES = 20_000
ENDPOINTS = 5


_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


class _BlockYaml:
    """kubectl-style block YAML of plain JSON data, made directly: PyYAML's dumper takes about a minute
    for these 56 MB, nearly all of it in its Python representer. A string is written plain only
    when it has no YAML indicator in it and PyYAML's resolver reads it back as a string; otherwise
    single-quoted, as PyYAML and kubectl quote, or, with a control character, as a JSON string (a
    YAML double-quoted scalar)."""

    def __init__(self):
        import yaml

        self._resolver = yaml.resolver.Resolver()
        self._node = yaml.ScalarNode
        self._scalars: dict[str, str] = {}

    def _string(self, text: str) -> str:
        got = self._scalars.get(text)
        if got is None:
            plain = _PLAIN.fullmatch(text) and self._resolver.resolve(self._node, text, (True, False)) == \
                "tag:yaml.org,2002:str"
            quoted = "'" + text.replace("'", "''") + "'" if text.isprintable() else json.dumps(text)
            got = text if plain else quoted
            if len(self._scalars) < 100_000:
                self._scalars[text] = got
        return got

    def _scalar(self, value) -> str:
        if isinstance(value, str):
            return self._string(value)
        if value is None or isinstance(value, bool):
            return json.dumps(value)
        if isinstance(value, (int, float)):
            return repr(value)
        return "{}" if isinstance(value, dict) else "[]"   # only empty ones get here

    def lines(self, value, pad: str, out: list[str]) -> None:
        """`value` (a non-empty mapping or sequence) as lines indented by `pad`."""
        if isinstance(value, dict):
            for key in sorted(value):
                item = value[key]
                if isinstance(item, (dict, list)) and item:
                    out.append(f"{pad}{self._string(key)}:\n")
                    self.lines(item, pad + "  " if isinstance(item, dict) else pad, out)
                else:
                    out.append(f"{pad}{self._string(key)}: {self._scalar(item)}\n")
            return
        for item in value:
            if isinstance(item, (dict, list)) and item:
                first = len(out)
                self.lines(item, pad + "  ", out)
                out[first] = f"{pad}- {out[first][len(pad) + 2:]}"
            else:
                out.append(f"{pad}- {self._scalar(item)}\n")


def write_inputs(directory: Path) -> tuple[Path, Path]:
    from sliceaudit.sim.world.large import large_cluster

    cluster = large_cluster("bench", slices=SLICES, endpoints=ENDPOINTS, truth=False)
    items = [o for kind in ("Service", "EndpointSlice") for o in cluster.objects[kind]]
    for o in items:
        o["metadata"].pop("managedFields", None)   # kubectl hides them by default
    doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    as_json, as_yaml = directory / "cluster.json", directory / "cluster.yaml"
    as_json.write_text(json.dumps(doc, indent=4))
    lines: list[str] = []
    _BlockYaml().lines(doc, "", lines)
    as_yaml.write_text("".join(lines))
    return as_json, as_yaml


def probe_scan(path: str) -> dict:
    """`sliceaudit scan -f PATH -o json` in this process; its report's digest."""
    from sliceaudit.cli.main import main

    with io.TextIOWrapper(io.BytesIO()) as out, contextlib.redirect_stdout(out):
        start = time.perf_counter()
        code = main(["scan", "-f", path, "-o", "json", "--fail-on", "never", "--cluster-name", "bench"])
        seconds = time.perf_counter() - start
        out.flush()
        report = out.buffer.getvalue()
    if code != 0:
        raise SystemExit(f"scan exited {code}")
    return {"seconds": seconds, "rss_mb": rss_mb("VmHWM"), "report": hashlib.sha256(report).hexdigest()}


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        as_json, as_yaml = write_inputs(Path(tmp))
        print(f"   input: {SLICES} EndpointSlices x {ENDPOINTS} endpoints: YAML {as_yaml.stat().st_size / 1e6:.0f} MB, "
              f"JSON {as_json.stat().st_size / 1e6:.0f} MB")
        yaml_runs, json_runs = interleaved("bench.yaml_input", [("scan", str(as_yaml)), ("scan", str(as_json))])
    assert len({r["report"] for r in yaml_runs + json_runs}) == 1, "the YAML and the JSON scans must report the same"
    return [
        figure("files: scan -f of kubectl -o yaml (target <= 5x JSON)", [r["seconds"] for r in yaml_runs], "s",
               "the same objects as kubectl -o json", [r["seconds"] for r in json_runs], targets=[ratio_at_most(5)]),
        figure("files: peak RSS scan -f of -o yaml (target 600 MB)", [r["rss_mb"] for r in yaml_runs], "MB",
               "the same objects as -o json", [r["rss_mb"] for r in json_runs], targets=[at_most(600)]),
    ]


if __name__ == "__main__":
    serve({"scan": probe_scan})
