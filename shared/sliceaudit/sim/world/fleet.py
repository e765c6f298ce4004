"""The fleet generator: deterministic (by seed) clusters of raw API objects plus their ground truth."""

from __future__ import annotations

from dataclasses import dataclass

from sliceaudit.api.kinds import SERVED
from sliceaudit.controller.endpointslice import MAX_ENDPOINTS
from sliceaudit.sim.world import breakage, catalog
from sliceaudit.sim.world.cluster import ClusterSim, Key

KIND_ORDER = SERVED
FIRST_RESOURCE_VERSION = 100_000


@dataclass
class SimCluster:
    """One generated cluster: `objects` are raw API dicts by kind, `truth` a ClusterReport-shaped dict."""

    name: str
    objects: dict[str, list[dict]]
    truth: dict
    sim: ClusterSim | None = None


def build_cluster(name: str, services: int = 50, seed: int = 1, broken_share: float = 0.2, index: int = 0,
                  max_endpoints: int = MAX_ENDPOINTS) -> ClusterSim:
    """The model of one cluster: `services` Services, round(services * broken_share) of them misconfigured."""
    if services < 0:
        raise ValueError("services must be >= 0")
    if not 0.0 <= broken_share <= 1.0:
        raise ValueError("broken_share must be between 0 and 1")
    sim = ClusterSim(name, seed, index, max_endpoints)
    rng = sim.rng
    n_broken = round(services * broken_share)
    broken = list(catalog.BROKEN)
    rng.shuffle(broken)
    kinds = [broken[i % len(broken)] for i in range(n_broken)]
    healthy = list(catalog.HEALTHY)
    if services < 20:
        healthy.remove("big")
    weights = [catalog.HEALTHY[k] for k in healthy]
    for i in range(services - n_broken):
        kinds.append(healthy[i] if i < len(healthy) else rng.choices(healthy, weights)[0])
    rng.shuffle(kinds)

    namespaces = list(catalog.NAMESPACES[: max(1, min(len(catalog.NAMESPACES), services // 6))])
    used: set[tuple[str, str]] = set()
    for kind in kinds:
        ns = rng.choice(namespaces)
        base = rng.choice(catalog.BASES)
        name_ = base
        n = 1
        while (ns, name_) in used:
            n += 1
            name_ = f"{base}-{n}"
        used.add((ns, name_))
        sim.ids.reserve(ns, name_)
        # Objects were made over weeks, not all at once.
        sim.tick(rng.randrange(60, 7200))
        if kind in catalog.BROKEN:
            bases, how = catalog.BROKEN[kind]
            svc = catalog.build(sim, rng.choice(bases), ns, name_)
            sim.tick(rng.randrange(60, 3600))
            breakage.break_service(sim, svc, how)
            svc.kind = kind
        else:
            catalog.build(sim, kind, ns, name_)
    catalog.edge(sim, index)
    sim.tick(5)
    sim.reconcile()
    return sim


def stamp(rendered: dict[Key, dict], first: int = FIRST_RESOURCE_VERSION) -> dict[str, list[dict]]:
    """Groups objects by kind and gives each a resourceVersion, as the API server would."""
    out: dict[str, list[dict]] = {k: [] for k in KIND_ORDER}
    rv = first
    for kind in KIND_ORDER:
        for (k, _, _), obj in rendered.items():
            if k == kind:
                rv += 1
                obj["metadata"]["resourceVersion"] = str(rv)
                out[kind].append(obj)
    return out


def generate_cluster(name: str, services: int = 50, seed: int = 1, broken_share: float = 0.2,
                     index: int = 0) -> SimCluster:
    """A cluster of raw API objects and the ground truth for its audit; the same seed gives the same cluster."""
    sim = build_cluster(name, services, seed, broken_share, index)
    return SimCluster(name, stamp(sim.render()), sim.truth(), sim)
