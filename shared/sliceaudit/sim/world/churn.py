"""Life in a cluster over time: rolling updates, scaling, and Services broken and fixed.

Each step advances pods one stage (new pods become ready, terminating pods go away, a
rolling Deployment replaces one more old pod) and then makes one change of its own.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import replace

from sliceaudit.sim.world import breakage
from sliceaudit.sim.world.cluster import ClusterSim
from sliceaudit.sim.world.model import Template, Workload


class Churn:
    def __init__(self, sim: ClusterSim, seed: int = 0, broken_share: float | None = None):
        self.sim = sim
        self.rng = random.Random(f"sliceaudit-churn:{seed}:{sim.name}")
        total = len(sim.services) or 1
        self.broken_share = (sum(1 for s in sim.services.values() if s.broken) / total
                             if broken_share is None else broken_share)
        # The latest steps only: a churning fleet runs for days.
        self.log: deque[str] = deque(maxlen=1000)

    def step(self) -> str:
        sim = self.sim
        sim.tick(self.rng.randrange(5, 30))
        self._advance()
        roll = self.rng.random()
        if roll < 0.4:
            what = self._scale()
        elif roll < 0.7:
            what = self._rollout()
        else:
            what = self._break_or_fix()
        self.log.append(what)
        return what

    def _advance(self) -> None:
        sim = self.sim
        sim.reap()
        for w in list(sim.workloads.values()):
            for p in w.pods:
                if not p.ready and not p.terminating and p.phase == "Running":
                    sim.set_ready(p, True)
            if w.rolling:
                old = [p for p in w.pods if not p.terminating and not p.terminal and p.template != w.template]
                if not old:
                    w.rolling = False
                    continue
                # maxSurge 1, maxUnavailable 0: a new pod first, an old one goes once new ones are ready.
                if all(p.ready for p in w.pods if p.template == w.template):
                    sim.terminate(old[0])
                    w.pods.append(sim.new_pod(w, ready=False, index=_ordinal(old[0])))
                sim.sync_replicasets(w)

    def _deployments(self) -> list[Workload]:
        return [w for w in self.sim.workloads.values()
                if w.kind == "Deployment" and not w.rolling and w.canary_of is None and w.replicas < 60]

    def _scale(self) -> str:
        candidates = self._deployments()
        if not candidates:
            return "idle"
        w = self.rng.choice(candidates)
        replicas = max(1, w.replicas + self.rng.choice((-2, -1, 1, 1, 2)))
        self.sim.scale(w, replicas, instant=False)
        return f"scale {w.namespace}/{w.name} to {replicas}"

    def _rollout(self) -> str:
        candidates = self._deployments()
        if not candidates:
            return "idle"
        w = self.rng.choice(candidates)
        images = {c.name: f"{c.image.rpartition(':')[0]}:v1.{self.rng.randrange(20, 99)}.{self.rng.randrange(10)}"
                  for c in w.template.containers if not c.sidecar}

        def bump(t: Template) -> Template:
            return Template(tuple(replace(c, image=images.get(c.name, c.image)) for c in t.containers))

        if w.original_template is not None:
            w.original_template = bump(w.original_template)  # a later fix restores the newest image
        self.sim.rollout(w, bump(w.template), instant=False)
        return f"rollout {w.namespace}/{w.name}"

    def _break_or_fix(self) -> str:
        sim = self.sim
        services = sorted(sim.services.values(), key=lambda s: s.key)
        broken = [s for s in services if s.broken]
        want_more = len(broken) < round(self.broken_share * len(services)) or not broken
        if want_more or self.rng.random() < 0.3:
            options = [(s, how) for s in services for how in breakage.applicable(sim, s)]
            if options:
                svc, how = self.rng.choice(options)
                breakage.break_service(sim, svc, how, instant=True)
                return f"break {svc.namespace}/{svc.name} {how}"
        if broken:
            svc = self.rng.choice(broken)
            breakage.fix_service(sim, svc, instant=True)
            return f"fix {svc.namespace}/{svc.name}"
        return "idle"


def _ordinal(pod) -> int | None:
    tail = pod.name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None
