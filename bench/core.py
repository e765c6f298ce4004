"""The audit core on a large generated cluster: decode + audit against decoding the same bytes alone."""

from __future__ import annotations

import json
import time

import msgspec

from bench.results import Figure, figure
from sliceaudit.api.decode import KINDS, decode_list
from sliceaudit.api.snapshot import Snapshot
from sliceaudit.audit.cluster import audit_cluster
from sliceaudit.sim.world.fleet import generate_cluster

SERVICES = 2000
ROUNDS = 3


def _pages() -> dict[str, bytes]:
    """One list response per kind, as the API server would send it."""
    cluster = generate_cluster("bench", services=SERVICES, seed=7, broken_share=0.2)
    return {kind: msgspec.json.encode({"kind": f"{kind}List", "metadata": {"resourceVersion": "1"}, "items": items})
            for kind, items in cluster.objects.items() if kind in KINDS}  # the audit reads no Endpoints


def _best(fn) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run() -> list[Figure]:
    pages = _pages()
    slices = len(msgspec.json.decode(pages["EndpointSlice"])["items"])
    megabytes = sum(map(len, pages.values())) / 1e6
    print(f"   input: {SERVICES} Services, {slices} EndpointSlices, {megabytes:.1f} MB of list JSON")

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

    t_ours, t_decoder, t_json = _best(ours), _best(decoder_alone), _best(stdlib_json)
    return [
        figure("core: decode + audit, one cluster", t_ours, "s", "msgspec decode alone (untyped)", t_decoder),
        figure("core: decode + audit vs stdlib json", t_ours, "s", "json.loads alone", t_json),
        figure("core: slices per second", slices / t_ours, "slices/s", "msgspec decode alone (untyped)",
               slices / t_decoder, higher_is_better=True),
    ]
