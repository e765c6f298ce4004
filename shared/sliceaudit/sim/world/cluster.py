"""One simulated cluster's state and the controllers that keep it consistent.

Workload changes (scale, rollout) go through here so pods, ReplicaSets and slices follow the
way kube-controller-manager would make them follow; `render()` gives the objects the API
server serves and `truth()` what the audit must conclude about them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sliceaudit.api.objects import EndpointSlice, decode
from sliceaudit.controller import endpointslice as slice_controller
from sliceaudit.controller import mirroring
from sliceaudit.controller.endpointslice import MAX_ENDPOINTS
from sliceaudit.sim.world import render
from sliceaudit.sim.world.ids import Ids
from sliceaudit.sim.world.model import Pod, ReplicaSet, Service, Template, Workload
from sliceaudit.sim.world.truth import service_truth

REGIONS = ("eu-central-1", "eu-west-1", "us-east-1", "us-west-2")

Key = tuple[str, str, str]  # (kind, namespace, name)


@dataclass
class SliceMeta:
    """What the API server adds to a slice the controller wrote: its uid and when it changed."""

    uid: str
    created: int
    updated: int


class ClusterSim:
    """A cluster's model; mutate it through its methods, then `render()`."""

    # Pods get an IPv6 address too (dual-stack cluster); single-stack Services only publish the IPv4 one.
    dual_stack_pods = True

    def __init__(self, name: str, seed: int, index: int = 0, max_endpoints: int = MAX_ENDPOINTS):
        self.name = name
        self.rng = random.Random(f"sliceaudit-sim:{seed}:{name}")
        self.ids = Ids(self.rng, index)
        self.max_endpoints = max_endpoints
        self.clock = 0
        region = REGIONS[self.rng.randrange(len(REGIONS))]
        self.nodes = [
            (f"ip-10-0-{self.rng.randrange(1, 250)}-{self.rng.randrange(1, 250)}.{region}.compute.internal",
             f"{region}{'abc'[i % 3]}")
            for i in range(self.rng.randrange(6, 13))
        ]
        self.workloads: dict[tuple[str, str], Workload] = {}
        # Pods no workload here manages any more: a finished Job's pod that carries an app's labels.
        self.loose_pods: list[Pod] = []
        self.endpoints_uids: dict[tuple[str, str], str] = {}
        self.services: dict[tuple[str, str], Service] = {}
        # What the EndpointSlice controller model wrote, per Service, and the API server's part.
        self.slices: dict[tuple[str, str], list[EndpointSlice]] = {}
        self.slice_meta: dict[tuple[str, str], SliceMeta] = {}
        self._node_turn = self.rng.randrange(len(self.nodes))

    # -- pods and workloads -------------------------------------------------------------

    def tick(self, seconds: int = 1) -> int:
        self.clock += seconds
        return self.clock

    def _node(self) -> tuple[str, str]:
        self._node_turn = (self._node_turn + 1 + self.rng.randrange(2)) % len(self.nodes)
        return self.nodes[self._node_turn]

    def pods(self, namespace: str | None = None) -> list[Pod]:
        return [p for w in self.workloads.values() if namespace in (None, w.namespace) for p in w.pods] + [
            p for p in self.loose_pods if namespace in (None, p.namespace)]

    def _pods_by_namespace(self) -> dict[str, list[Pod]]:
        by_ns: dict[str, list[Pod]] = {}
        for p in self.pods():
            by_ns.setdefault(p.namespace, []).append(p)
        return by_ns

    def add_workload(self, w: Workload) -> Workload:
        self.workloads[(w.namespace, w.name)] = w
        if w.kind == "DaemonSet":
            w.replicas = len(self.nodes)
        if w.kind == "Deployment":
            self._new_replicaset(w)
        self._fill(w, ready=True)
        return w

    def _new_replicaset(self, w: Workload) -> ReplicaSet:
        revision = max((r.revision for r in w.replicasets), default=0) + 1
        pod_hash = self.ids.suffix(self.rng.choice((9, 10)))
        rs = ReplicaSet(f"{w.name}-{pod_hash}", self.ids.uid(), pod_hash, revision, w.template, self.clock)
        w.replicasets.append(rs)
        # The Deployment controller keeps old ReplicaSets at zero replicas (revisionHistoryLimit).
        del w.replicasets[:-10]
        return rs

    def new_pod(self, w: Workload, ready: bool, index: int | None = None) -> Pod:
        node, zone = self._node() if w.kind != "DaemonSet" else self.nodes[index or 0]
        ip4, ip6 = self.ids.pod_ips()
        labels = dict(w.labels)
        subdomain = None
        if w.kind == "Deployment":
            rs = w.replicasets[-1]
            labels["pod-template-hash"] = rs.pod_hash
            name = self.ids.generated(w.namespace, rs.name + "-")
            owner = ("ReplicaSet", rs.name, rs.uid)
        elif w.kind == "StatefulSet":
            name = f"{w.name}-{index}"
            labels.update({"apps.kubernetes.io/pod-index": str(index),
                           "controller-revision-hash": f"{w.name}-{w.generation:x}5c7d9",
                           "statefulset.kubernetes.io/pod-name": name})
            owner = ("StatefulSet", w.name, w.uid)
            subdomain = w.name
        else:
            name = self.ids.generated(w.namespace, w.name + "-")
            labels.update({"controller-revision-hash": f"{w.generation:x}7b4f6c9d8",
                           "pod-template-generation": str(w.generation)})
            owner = ("DaemonSet", w.name, w.uid)
        return Pod(name, self.ids.uid(), w.namespace, labels, w.template, *owner, (w.kind, w.name), node, zone,
                   ip4, ip6 if self.dual_stack_pods else None, self.clock, ready=ready,
                   ready_since=self.clock + (3 if ready else 0), subdomain=subdomain)

    def _live(self, w: Workload) -> list[Pod]:
        """The pods that count as replicas: not terminating, not finished (an evicted pod is replaced)."""
        return [p for p in w.pods if not p.terminating and not p.terminal]

    def _fill(self, w: Workload, ready: bool) -> None:
        """Creates pods until the workload has its replicas (StatefulSets by ordinal)."""
        live = self._live(w)
        if w.kind == "StatefulSet":
            taken = {int(p.name.rsplit("-", 1)[1]) for p in w.pods}
            for i in range(w.replicas):
                if i not in taken:
                    w.pods.append(self.new_pod(w, ready, i))
        elif w.kind == "DaemonSet":
            on = {p.node for p in live}
            for i, (node, _) in enumerate(self.nodes):
                if node not in on:
                    w.pods.append(self.new_pod(w, ready, i))
        else:
            for _ in range(w.replicas - len(live)):
                w.pods.append(self.new_pod(w, ready))
        self.sync_replicasets(w)

    def sync_replicasets(self, w: Workload) -> None:
        if w.kind != "Deployment":
            return
        for rs in w.replicasets:
            rs.replicas = sum(1 for p in w.pods
                              if not p.terminating and p.labels.get("pod-template-hash") == rs.pod_hash)

    def terminate(self, pod: Pod) -> None:
        """Deletion starts: the pod stays Ready (it serves) until its grace period ends and it is reaped."""
        pod.terminating = True
        pod.deleted_at = self.clock

    def scale(self, w: Workload, replicas: int, instant: bool = True) -> None:
        """Scales a Deployment or StatefulSet; gradual (not-ready / terminating first) unless instant."""
        w.replicas = max(0, replicas)
        live = self._live(w)
        if len(live) > w.replicas:
            doomed = sorted(live, key=lambda p: p.name)[w.replicas:] if w.kind == "StatefulSet" else \
                sorted(live, key=lambda p: (p.ready, p.created), reverse=False)[: len(live) - w.replicas]
            for p in doomed:
                self.terminate(p)
            if instant:
                self.reap(w)
        self._fill(w, ready=instant)

    def rollout(self, w: Workload, template: Template, instant: bool = True) -> None:
        """Changes the pod template: new ReplicaSet (Deployments), pods replaced."""
        w.template = template
        w.generation += 1
        if w.kind == "Deployment":
            self._new_replicaset(w)
        if instant:
            for p in self._live(w):
                self.terminate(p)
            self.reap(w)
            self._fill(w, ready=True)
        else:
            w.rolling = True
        self.sync_replicasets(w)

    def reap(self, w: Workload | None = None) -> None:
        """Removes terminating pods (their grace period is over)."""
        for wl in [w] if w else list(self.workloads.values()):
            for p in wl.pods:
                if p.terminating and not p.stuck:
                    self.ids.release(p.namespace, p.name)  # a churning fleet must not remember every pod
            wl.pods = [p for p in wl.pods if not p.terminating or p.stuck]
            self.sync_replicasets(wl)

    def remove_workload(self, w: Workload) -> None:
        self.workloads.pop((w.namespace, w.name), None)

    # -- services and slices ------------------------------------------------------------

    def add_service(self, s: Service) -> Service:
        self.services[s.key] = s
        return s

    def reconcile(self) -> None:
        """The EndpointSlice controller's pass over every Service, on the objects as the API serves them."""
        nodes = {n: decode("Node", render.node(n, zone)) for n, zone in self.nodes}
        pods: dict[str, list] = {}
        for p in self.pods():
            pods.setdefault(p.namespace, []).append(decode("Pod", render.pod(p)))
        for key, svc in self.services.items():
            ns = svc.namespace
            old = self.slices.get(key, [])
            names = lambda prefix, ns=ns: self.ids.generated(ns, prefix)  # noqa: E731
            record = decode("Service", render.service(svc))
            if svc.endpoints is not None:
                new = mirroring.mirror(decode("Endpoints", render.endpoints(svc, self._endpoints_uid(svc))), record,
                                       old, names)
            else:
                new = slice_controller.reconcile(record, pods.get(ns, []), nodes, old, names, self.max_endpoints)
            self._track(ns, old, new)
            self.slices[key] = new
        for key in list(self.slices):
            if key not in self.services:
                self._track(key[0], self.slices.pop(key), [])

    def _endpoints_uid(self, svc: Service) -> str:
        uid = self.endpoints_uids.get(svc.key)
        if uid is None:
            uid = self.endpoints_uids[svc.key] = self.ids.uid()
        return uid

    def _track(self, namespace: str, old: list[EndpointSlice], new: list[EndpointSlice]) -> None:
        """Gives new slices a uid and creation time, and changed ones a new update time."""
        before = {s.metadata.name: s for s in old}
        for s in new:
            key = (namespace, s.metadata.name)
            meta = self.slice_meta.get(key)
            if meta is None:
                self.slice_meta[key] = SliceMeta(self.ids.uid(), self.clock, self.clock)
            elif before.get(s.metadata.name) != s:
                meta.updated = self.clock
        for name in before.keys() - {s.metadata.name for s in new}:
            self.slice_meta.pop((namespace, name), None)
            self.ids.release(namespace, name)

    def render(self) -> dict[Key, dict]:
        """Every object, keyed by (kind, namespace, name), in creation-friendly order."""
        out: dict[Key, dict] = {}
        for w in self.workloads.values():
            out[(w.kind, w.namespace, w.name)] = render.workload(w)
            for rs in w.replicasets:
                out[("ReplicaSet", w.namespace, rs.name)] = render.replicaset(w, rs)
            for p in w.pods:
                out[("Pod", p.namespace, p.name)] = render.pod(p)
        for p in self.loose_pods:
            out[("Pod", p.namespace, p.name)] = render.pod(p)
        for svc in self.services.values():
            out[("Service", svc.namespace, svc.name)] = render.service(svc)
            if svc.endpoints is not None:
                out[("Endpoints", svc.namespace, svc.name)] = render.endpoints(svc, self._endpoints_uid(svc))
            for st in self.slices.get(svc.key, []):
                meta = self.slice_meta[(svc.namespace, st.metadata.name)]
                out[("EndpointSlice", svc.namespace, st.metadata.name)] = render.endpoint_slice(st, meta.uid,
                                                                                                 meta.created,
                                                                                                 meta.updated)
            for h in svc.hand_slices:
                out[("EndpointSlice", svc.namespace, h.name)] = render.hand_slice(svc, h)
        return out

    def truth(self) -> dict:
        """The ClusterReport (BRIEF schema, as a dict) the audit of this cluster must produce."""
        by_ns = self._pods_by_namespace()
        nodes = {n for n, _ in self.nodes}
        services = [
            service_truth(svc, by_ns.get(svc.namespace, []), self.slices.get(key, []), nodes)
            for key, svc in sorted(self.services.items())
        ]
        return {"name": self.name, "services": services, "errors": []}

    def set_ready(self, pod: Pod, ready: bool) -> None:
        if pod.ready != ready:
            pod.ready = ready
            pod.ready_since = self.clock
