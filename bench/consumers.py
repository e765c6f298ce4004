"""Consumer emulation: the audit of one large cluster with the proxies in use modelled, against the
kube-proxy-only audit of the same records, in the same run (issue 9's target: at most 1.2x)."""

from __future__ import annotations

import time

from bench.results import Figure, figure, ratio_at_most
from sliceaudit.api.decode import decode_documents
from sliceaudit.api.snapshot import Snapshot
from sliceaudit.audit.cluster import audit_cluster
from sliceaudit.consumers.detect import parse_consumer
from sliceaudit.sim.world.large import large_cluster

SLICES = 20_000
ROUNDS = 5
# A typical edge: one ingress controller, one router, cluster DNS.
IN_USE = ("skipper@v0.21.146", "ingress-nginx@v1.9.4", "coredns@v1.11.3")


def _interleaved(a, b) -> tuple[list[float], list[float]]:
    """ROUNDS runs of each, alternating, so load from elsewhere on the machine hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        for fn, out in ((a, times[0]), (b, times[1])):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return times


def run() -> list[Figure]:
    cluster = large_cluster("bench", slices=SLICES, truth=False)
    records, errors = decode_documents(
        (f"{kind}[{i}]", o) for kind, items in cluster.objects.items() for i, o in enumerate(items))
    snapshot = Snapshot.of(records, errors)
    consumers = [parse_consumer(c) for c in IN_USE]
    print(f"   input: {len(snapshot.services)} Services, {len(snapshot.slices)} EndpointSlices; "
          f"consumers {', '.join(IN_USE)}")

    t_reference, t_emulated = _interleaved(lambda: audit_cluster("bench", snapshot, consumers=[]),
                                           lambda: audit_cluster("bench", snapshot, consumers=consumers))
    return [figure(f"consumers: audit + {len(consumers)} consumers emulated", t_emulated, "s",
                   "kube-proxy-only audit", t_reference, targets=[ratio_at_most(1.2)])]
