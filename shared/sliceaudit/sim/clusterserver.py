"""One simulated cluster behind its API server: the world's changes published as API writes.

The API server (sim/apiserver) only serves objects; this binds it to a cluster's model
(sim/world): after every change (breaking or fixing a Service, a churn step) the model is
rendered again and the difference written to the server, so watchers see ADDED / MODIFIED /
DELETED events, and `truth()` says what the audit must conclude right now.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sliceaudit.sim.apiserver.server import ApiServer
from sliceaudit.sim.world import breakage
from sliceaudit.sim.world.churn import Churn
from sliceaudit.sim.world.cluster import ClusterSim, Key
from sliceaudit.sim.world.fleet import KIND_ORDER, SimCluster


class ClusterServer(ApiServer):
    """An ApiServer serving a generated cluster (or only its objects, when it has no model behind it)."""

    def __init__(self, cluster: SimCluster | ClusterSim | None = None, **options):
        self.sim: ClusterSim | None = None
        objects: dict[str, list[dict]] = {}
        self._rendered: dict[Key, dict] = {}
        if isinstance(cluster, SimCluster):
            self.sim = cluster.sim
            objects = {kind: cluster.objects.get(kind, []) for kind in KIND_ORDER}
        elif isinstance(cluster, ClusterSim):
            self.sim = cluster
        if self.sim is not None:
            self._rendered = self.sim.render()
            if not isinstance(cluster, SimCluster):
                objects = {kind: [o for (k, _, _), o in self._rendered.items() if k == kind] for kind in KIND_ORDER}
        if cluster is not None:
            options["name"] = options.get("name") or cluster.name
        super().__init__(objects, **options)
        self._lock = threading.RLock()  # serializes changes to the model
        self._listeners: list[Callable[[ClusterServer], None]] = []
        self._stopping = threading.Event()
        self._churn: threading.Thread | None = None

    def close(self) -> None:
        self._stopping.set()
        if self._churn is not None:
            self._churn.join(timeout=5)
        super().close()

    # -- publishing the model -----------------------------------------------------------

    def _require_sim(self) -> ClusterSim:
        if self.sim is None:
            raise RuntimeError("this server has no generated cluster behind it")
        return self.sim

    def sync(self) -> int:
        """Publishes model changes (after the controllers ran) as API writes; returns how many."""
        with self._lock:
            changes = self._publish()
        self._notify()
        return changes

    def _publish(self) -> int:
        sim = self._require_sim()
        sim.reconcile()
        new = sim.render()
        old = self._rendered
        changes = 0
        for key, obj in new.items():
            if old.get(key) != obj:
                self.store.put(key[0], obj)
                changes += 1
        for key in old:
            if key not in new:
                self.store.delete(*key)
                changes += 1
        self._rendered = new
        return changes

    def _notify(self) -> None:
        # Outside the model lock: listeners read other servers' state.
        for listener in list(self._listeners):
            listener(self)

    def on_change(self, listener: Callable[[ClusterServer], None]) -> None:
        """Calls listener(server) after every published change (the fleet rewrites its truth file)."""
        self._listeners.append(listener)

    # -- changing the world -------------------------------------------------------------

    def break_service(self, namespace: str, name: str, how: str) -> dict:
        """Breaks one Service now (see sliceaudit.sim.world.breakage.HOWS); returns its new ground truth."""
        return self._change_service(namespace, name, lambda sim, svc: breakage.break_service(sim, svc, how))

    def fix_service(self, namespace: str, name: str) -> dict:
        """Undoes whatever broke one Service; returns its new ground truth."""
        return self._change_service(namespace, name, breakage.fix_service)

    def _change_service(self, namespace: str, name: str, change) -> dict:
        sim = self._require_sim()
        with self._lock:
            svc = sim.services.get((namespace, name))
            if svc is None:
                raise KeyError(f"no Service {namespace}/{name} in cluster {self.name}")
            sim.tick(1)
            change(sim, svc)
            self._publish()
        self._notify()
        return self.service_truth(namespace, name)

    def breakable(self, how: str | None = None) -> list[tuple[str, str]]:
        """Services that `break_service` accepts (with `how`, or any way)."""
        sim = self._require_sim()
        with self._lock:
            out = []
            for key, svc in sim.services.items():
                hows = breakage.applicable(sim, svc)
                if (how in hows) if how else hows:
                    out.append(key)
            return sorted(out)

    def start_churn(self, interval: float = 2.0, seed: int = 0) -> None:
        """Rollouts, scale events, breaking and fixing, one step every `interval` seconds, until close()."""
        churn = Churn(self._require_sim(), seed)

        def run():
            while not self._stopping.wait(interval):
                with self._lock:
                    churn.step()
                    self._publish()
                self._notify()

        self._churn = threading.Thread(target=run, name=f"sim-churn-{self.name}", daemon=True)
        self._churn.start()

    # -- ground truth -------------------------------------------------------------------

    def truth(self) -> dict:
        """The ClusterReport (dict) the audit of this cluster must produce right now."""
        with self._lock:
            truth = self._require_sim().truth()
        truth["name"] = self.name
        return truth

    def service_truth(self, namespace: str, name: str) -> dict:
        for s in self.truth()["services"]:
            if (s["namespace"], s["name"]) == (namespace, name):
                return s
        raise KeyError(f"no Service {namespace}/{name}")
