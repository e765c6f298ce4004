"""A large cluster for benchmarks: ~20,000 controller-made slices of ~25 endpoints, made quickly.

Healthy Services get their Service and slices only: the controller model makes the slices from
pods that are never served (the controller's `--max-endpoints-per-slice` is set to `endpoints`,
which is how real clusters end up with many small slices). Every `broken_every`-th Service is
built by the full model instead: a Deployment, its ReplicaSet and Pods, and a canary whose pods
lack the named targetPort, so the audit finds NULL_PORTS and root cause has owners to follow.
"""

from __future__ import annotations

import random

from sliceaudit.api.objects import (
    Container,
    ObjectMeta,
    Pod,
    PodCondition,
    PodIP,
    PodSpec,
    PodStatus,
    decode,
)
from sliceaudit.api.records import ContainerPort
from sliceaudit.audit.terms import Status
from sliceaudit.controller.endpointslice import reconcile
from sliceaudit.sim.world import breakage, catalog, render
from sliceaudit.sim.world.cluster import ClusterSim
from sliceaudit.sim.world.fleet import SimCluster, stamp
from sliceaudit.sim.world.ids import bulk, code, fast_uid
from sliceaudit.sim.world.model import Service, ServicePort

_CONTAINERS = (Container(name="app", ports=(ContainerPort(name="http", container_port=8080),)),)
_READY = (PodCondition(type="Ready", status="True"),)


def large_cluster(name: str = "large", slices: int = 20_000, endpoints: int = 25, seed: int = 1,
                  slices_per_service: int = 4, broken_every: int = 100, truth: bool = True) -> SimCluster:
    """A SimCluster with about `slices` EndpointSlices of `endpoints` endpoints each."""
    with bulk():
        return _large(name, slices, endpoints, seed, slices_per_service, broken_every, truth)


def _large(name, slices, endpoints, seed, slices_per_service, broken_every, truth) -> SimCluster:
    if slices < 1 or endpoints < 1 or slices_per_service < 1:
        raise ValueError("slices, endpoints and slices_per_service must be >= 1")
    rng = random.Random(f"sliceaudit-large:{seed}:{name}")
    model = ClusterSim(name, seed, index=0, max_endpoints=endpoints)
    zones = model.nodes
    nodes = {n: decode("Node", render.node(n, zone)) for n, zone in zones}
    n_services = max(1, slices // slices_per_service)
    services: list[dict] = []
    slice_objects: list[dict] = []
    truths: list[dict] = []
    address = 64 << 16  # 10.64.0.0 and up: clear of the model's pod network
    t = 3600
    for i in range(n_services):
        ns = catalog.NAMESPACES[i % len(catalog.NAMESPACES)]
        svc_name = f"{catalog.BASES[(i // len(catalog.NAMESPACES)) % len(catalog.BASES)]}-{i}"
        if broken_every and i % broken_every == broken_every - 1:
            model.ids.reserve(ns, svc_name)
            svc = catalog.build(model, "web", ns, svc_name)
            w = model.workloads[(ns, svc_name)]
            model.scale(w, slices_per_service * endpoints)
            model.tick(60)
            breakage.break_service(model, svc, "null-ports")
            continue
        uid = fast_uid(rng)
        svc = Service(ns, svc_name, uid, (ServicePort("http", 80, "http"),), {"app": svc_name},
                      f"172.{20 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}", None, False, t,
                      {"app.kubernetes.io/name": svc_name, "app.kubernetes.io/part-of": ns,
                       "app.kubernetes.io/managed-by": "Helm"}, "web")
        services.append(render.service(svc))
        rs = f"{svc_name}-{code(i * 7919 + 13)}{code(i * 104729 + 7)}"
        backends = []
        pods = []
        for _ in range(slices_per_service * endpoints):
            address += 1
            ip = f"10.{address >> 16}.{(address >> 8) & 255}.{address & 255}"
            pods.append(Pod(metadata=ObjectMeta(name=f"{rs}-{code(address)}", namespace=ns, uid=fast_uid(rng),
                                                labels={"app": svc_name}),
                            spec=PodSpec(containers=_CONTAINERS, node_name=zones[(address * 7) % len(zones)][0]),
                            status=PodStatus(phase="Running", pod_ip=ip, pod_ips=(PodIP(ip=ip),), conditions=_READY)))
            if truth:
                backends.append(f"{ip}:8080")
        serial = iter(range(slices_per_service))
        made = reconcile(decode("Service", render.service(svc)), pods, nodes, [],
                         lambda prefix, i=i, serial=serial: f"{prefix}{code(i * 31 + next(serial))}", endpoints)
        for j, st in enumerate(made):
            slice_objects.append(render.endpoint_slice(st, fast_uid(rng), t, t + 60 * j))
        if truth:
            backends.sort()
            truths.append({"namespace": ns, "name": svc_name, "status": Status.OK, "endpoints": len(backends),
                           "null_port_endpoints": 0, "port_zero_endpoints": 0,
                           "ports": [{"name": "http", "port": 80, "protocol": "TCP", "backends": backends}],
                           "findings": []})
        t += 7
    model.tick(5)
    model.reconcile()
    objects = stamp(model.render())
    objects["Service"].extend(services)
    objects["EndpointSlice"].extend(slice_objects)
    rv = max((int(o["metadata"]["resourceVersion"]) for group in objects.values() for o in group
              if o["metadata"]["resourceVersion"] != "0"), default=100_000)
    for o in services + slice_objects:
        rv += 1
        o["metadata"]["resourceVersion"] = str(rv)
    report = {"name": name, "services": [], "errors": []}
    if truth:
        report["services"] = sorted(truths + model.truth()["services"], key=lambda s: (s["namespace"], s["name"]))
    return SimCluster(name, objects, report, None)
