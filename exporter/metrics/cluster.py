"""Per-cluster health and activity families, rendered fresh at each scrape (a few lines per cluster)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from exporter.metrics.families import (
    CLUSTER_LAST_SYNC,
    CLUSTER_OBJECTS,
    CLUSTER_UP,
    OBJECTS_REJECTED,
    SERIES_CUT,
    WATCH_EVENTS,
    WATCH_RESTARTS,
)
from exporter.metrics.text import labels, sample


@dataclass(frozen=True)
class ClusterStats:
    """A consistent copy of one cluster's counters, taken under its lock."""

    cluster: str
    up: bool
    last_sync: float
    objects: dict[str, int] = field(default_factory=dict)          # resource -> held
    restarts: dict[str, int] = field(default_factory=dict)         # resource -> count
    events: dict[tuple[str, str], int] = field(default_factory=dict)  # (resource, type) -> count
    rejected: dict[str, int] = field(default_factory=dict)         # resource -> count
    series_cut: int = 0


def cluster_families(stats: Sequence[ClusterStats]) -> bytes:
    out = [CLUSTER_UP.header]
    out += [sample(CLUSTER_UP.key, labels(cluster=s.cluster), int(s.up)) for s in stats]
    out.append(CLUSTER_LAST_SYNC.header)
    out += [sample(CLUSTER_LAST_SYNC.key, labels(cluster=s.cluster), round(s.last_sync, 3)) for s in stats]
    out.append(CLUSTER_OBJECTS.header)
    out += [sample(CLUSTER_OBJECTS.key, labels(cluster=s.cluster, resource=r), n)
            for s in stats for r, n in sorted(s.objects.items())]
    out.append(WATCH_RESTARTS.header)
    out += [sample(WATCH_RESTARTS.key, labels(cluster=s.cluster, resource=r), n)
            for s in stats for r, n in sorted(s.restarts.items())]
    out.append(WATCH_EVENTS.header)
    out += [sample(WATCH_EVENTS.key, labels(cluster=s.cluster, resource=r, type=t), n)
            for s in stats for (r, t), n in sorted(s.events.items())]
    out.append(OBJECTS_REJECTED.header)
    out += [sample(OBJECTS_REJECTED.key, labels(cluster=s.cluster, resource=r), n)
            for s in stats for r, n in sorted(s.rejected.items())]
    out.append(SERIES_CUT.header)
    out += [sample(SERIES_CUT.key, labels(cluster=s.cluster), s.series_cut) for s in stats]
    return b"".join(out)
