"""The audit core on a large generated cluster: decode + audit against decoding the same bytes alone.

Each measurement runs in a fresh process (bench/probe.py) reading the list pages from files: ours,
msgspec untyped and json.loads in turn, bench.probe.RUNS times; each figure is their median."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import msgspec

from bench.probe import interleaved, serve
from bench.results import Figure, figure

SERVICES = 2000


def _pages() -> dict[str, bytes]:
    """One list response per kind, as the API server would send it."""
    from sliceaudit.api.decode import KINDS
    from sliceaudit.sim.world.fleet import generate_cluster

    cluster = generate_cluster("bench", services=SERVICES, seed=7, broken_share=0.2)
    return {kind: msgspec.json.encode({"kind": f"{kind}List", "metadata": {"resourceVersion": "1"}, "items": items})
            for kind, items in cluster.objects.items() if kind in KINDS}  # the audit reads no Endpoints


def probe_time(what: str, directory: str) -> dict:
    """One decode (+ audit for ours) of the page files, timed in this fresh process."""
    from sliceaudit.api.decode import decode_list
    from sliceaudit.api.snapshot import Snapshot
    from sliceaudit.audit.cluster import audit_cluster

    pages = {p.name: p.read_bytes() for p in Path(directory).iterdir()}

    def ours():
        records, errors = [], []
        for kind, data in pages.items():
            page = decode_list(kind, data)
            records.extend(page.items)
            errors.extend(page.errors)
        audit_cluster("bench", Snapshot.of(records, errors))

    def decoder_alone():
        for data in pages.values():
            msgspec.json.decode(data)

    def stdlib_json():
        for data in pages.values():
            json.loads(data)

    fn = {"ours": ours, "msgspec": decoder_alone, "json": stdlib_json}[what]
    start = time.perf_counter()
    fn()
    return {"seconds": time.perf_counter() - start}


def run() -> list[Figure]:
    pages = _pages()
    slices = len(msgspec.json.decode(pages["EndpointSlice"])["items"])
    megabytes = sum(map(len, pages.values())) / 1e6
    print(f"   input: {SERVICES} Services, {slices} EndpointSlices, {megabytes:.1f} MB of list JSON")
    with tempfile.TemporaryDirectory(prefix="sliceaudit-bench-") as directory:
        for kind, data in pages.items():
            (Path(directory) / kind).write_bytes(data)
        del pages
        runs = interleaved("bench.core", [("time", what, directory) for what in ("ours", "msgspec", "json")])
    t_ours, t_decoder, t_json = ([r["seconds"] for r in got] for got in runs)
    return [
        figure("core: decode + audit, one cluster", t_ours, "s", "msgspec decode alone (untyped)", t_decoder),
        figure("core: decode + audit vs stdlib json", t_ours, "s", "json.loads alone", t_json),
        figure("core: slices per second", [slices / t for t in t_ours], "slices/s", "msgspec decode alone (untyped)",
               [slices / t for t in t_decoder], higher_is_better=True),
    ]


if __name__ == "__main__":
    serve({"time": probe_time})
