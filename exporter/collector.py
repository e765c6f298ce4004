"""/metrics: joins each cluster's pre-rendered Service blocks and renders the small per-cluster part.

No I/O and no auditing here: a scrape only copies bytes that events already rendered, which is
what keeps it cheap at tens of thousands of Services (see bench/exporter.py).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from exporter.metrics.cluster import cluster_families
from exporter.metrics.families import CONSUMER_FAMILIES, SCRAPE_DURATION, SERVICE_FAMILIES
from exporter.metrics.text import number
from exporter.state import ClusterState


def render(clusters: Sequence[ClusterState]) -> bytes:
    start = time.perf_counter()
    blocks = [c.service_blocks() for c in clusters]
    parts: list[bytes] = []
    for i, family in enumerate(SERVICE_FAMILIES + CONSUMER_FAMILIES):
        parts.append(family.header)
        parts.extend(b[i] for b in blocks)
    parts.append(cluster_families([c.stats() for c in clusters]))
    elapsed = time.perf_counter() - start
    parts.append(SCRAPE_DURATION.header)
    parts.append(b"%s %s\n" % (SCRAPE_DURATION.key, number(round(elapsed, 6))))
    return b"".join(parts)
