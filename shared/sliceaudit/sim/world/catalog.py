"""The kinds of Service the generator builds, healthy ones first, each with its workloads."""

from __future__ import annotations

from sliceaudit.sim.world.cluster import ClusterSim
from sliceaudit.sim.world.model import (
    Container,
    ContainerPort,
    EndpointsSubset,
    HandSlice,
    Pod,
    Service,
    ServicePort,
    Template,
    Workload,
)

NAMESPACES = ("payments", "checkout", "search", "catalog", "identity", "media", "ads", "billing",
              "shipping", "notifications", "reviews", "platform")
BASES = ("api", "web", "frontend", "backend", "worker", "gateway", "auth", "cart", "orders", "inventory",
         "pricing", "recommend", "profile", "session", "upload", "thumbs", "indexer", "query", "ledger",
         "invoice", "mailer", "push", "feed", "tracker", "geo", "rates", "quotes", "tokens")
HAND_MANAGERS = ("external-endpoints.example.com", "db-proxy-controller.example.com", "ops-team")

# Healthy kinds and their weights; every kind appears once before weights take over.
HEALTHY = {
    "web": 30, "multi-port": 12, "unnamed-port": 8, "numeric-target": 8, "dual-stack": 6, "sidecar": 6,
    "dns": 3, "headless-sts": 5, "headless-noports": 4, "daemonset": 3, "selectorless": 6, "no-pods": 4,
    "not-ready": 4, "big": 1, "stragglers": 3, "peer-discovery": 2, "ipv6-only": 2, "mirrored": 3,
    "ip-reuse": 2, "fqdn": 2,
}
# Misconfigured kinds: (healthy base kinds, how break_service makes them).
BROKEN = {
    "split-selector": (("web", "multi-port", "unnamed-port", "dual-stack", "sidecar"), "null-ports"),
    "draining": (("web", "multi-port"), "drain"),
    "all-missing": (("web", "unnamed-port"), "outage"),
    "multi-port-missing": (("multi-port",), "port-missing"),
    "handmade-unset": (("selectorless",), "port-unset"),
    "handmade-zero": (("selectorless",), "port-zero"),
}


def _image(sim: ClusterSim, ns: str, name: str) -> str:
    return f"registry.example.com/{ns}/{name}:v1.{sim.rng.randrange(20)}.{sim.rng.randrange(10)}"


def _replicas(sim: ClusterSim) -> int:
    return sim.rng.choice((1, 2, 2, 3, 3, 3, 4, 5, 6, 8, 12))


def _labels(ns: str, base: str) -> dict[str, str]:
    return {"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": base, "app.kubernetes.io/part-of": ns}


# The proxies each simulated cluster runs (its index picks a set): consumer detection must find them,
# with these versions, from the workloads' images (tests/kube/test_consumer_detection.py).
EDGE = (
    (("Deployment", "kube-system", "skipper-ingress", "registry.opensource.zalan.do/teapot/skipper:v0.21.146"),),
    (("DaemonSet", "ingress-nginx", "ingress-nginx-controller", "registry.k8s.io/ingress-nginx/controller:v1.6.4"),
     ("Deployment", "kube-system", "skipper-ingress", "registry.opensource.zalan.do/teapot/skipper:v0.21.150")),
    (("Deployment", "traefik", "traefik", "docker.io/library/traefik:v3.6.23"),
     ("StatefulSet", "linkerd", "linkerd-destination", "cr.l5d.io/linkerd/controller:stable-2.14.10")),
)


def edge(sim: ClusterSim, index: int) -> None:
    """The cluster's proxies: workloads without a Service of theirs, so the audit's truth is unchanged."""
    for kind, ns, name, image in EDGE[index % len(EDGE)]:
        workload(sim, kind, ns, name, name, Template((Container(name.split("-")[0], image, ()),)),
                 0 if kind == "DaemonSet" else 1)


def workload(sim: ClusterSim, kind: str, ns: str, name: str, app: str, template: Template, replicas: int) -> Workload:
    w = Workload(kind, ns, name, sim.ids.uid(), {"app": app, "app.kubernetes.io/instance": name}, template,
                 replicas, sim.clock)
    return sim.add_workload(w)


def service(sim: ClusterSim, kind: str, ns: str, name: str, ports: list[ServicePort], *, selector=True,
            headless=False, dual=False, **extra) -> Service:
    ip4, ip6 = sim.ids.service_ips()
    return sim.add_service(Service(
        ns, name, sim.ids.uid(), tuple(ports), {"app": name} if selector else None,
        None if headless else ip4, None if headless else ip6, dual, sim.clock, _labels(ns, name), kind, **extra))


def build(sim: ClusterSim, kind: str, ns: str, name: str) -> Service:
    """Creates the workloads and the Service of one healthy kind."""
    img = _image(sim, ns, name)
    http = ContainerPort("http", 8080)
    metrics = ContainerPort("metrics", 9090)
    app = Container("app", img, (http, metrics))
    http_port = ServicePort("http", 80, "http")
    if kind in ("web", "not-ready", "big", "dual-stack", "no-pods"):
        replicas = {"big": sim.rng.randrange(120, 260), "no-pods": 0}.get(kind, _replicas(sim))
        if kind == "not-ready":
            replicas = max(replicas, 3)
        w = workload(sim, "Deployment", ns, name, name, Template((app,)), replicas)
        if kind == "not-ready":
            # A crash-looping pod: listed with ready false, never a backend, never a finding.
            sim.set_ready(w.pods[0], False)
        return service(sim, kind, ns, name, [http_port], dual=kind == "dual-stack")
    if kind == "multi-port":
        grpc = ContainerPort("grpc", 9000)
        workload(sim, "Deployment", ns, name, name, Template((Container("app", img, (http, grpc, metrics)),)),
                 _replicas(sim))
        return service(sim, kind, ns, name, [http_port, ServicePort("grpc", 9000, "grpc", app_protocol="grpc")])
    if kind == "unnamed-port":
        workload(sim, "Deployment", ns, name, name, Template((Container("app", img, (ContainerPort("web", 8080),)),)),
                 _replicas(sim))
        return service(sim, kind, ns, name, [ServicePort("", 80, "web")])
    if kind == "numeric-target":
        workload(sim, "Deployment", ns, name, name, Template((Container("app", img, (ContainerPort("", 8080),)),)),
                 _replicas(sim))
        return service(sim, kind, ns, name, [ServicePort("http", 80, 8080)])
    if kind == "sidecar":
        envoy = Container("envoy", "envoyproxy/envoy:v1.31.2",
                          (ContainerPort("proxy", 15001), ContainerPort("envoy-admin", 15000)), sidecar=True)
        workload(sim, "Deployment", ns, name, name, Template((app, envoy)), _replicas(sim))
        return service(sim, kind, ns, name, [ServicePort("http", 80, "proxy"), ServicePort("metrics", 9090, "metrics")])
    if kind == "dns":
        ports = (ContainerPort("dns", 53, "UDP"), ContainerPort("dns-tcp", 53, "TCP"), ContainerPort("metrics", 9153))
        workload(sim, "Deployment", ns, name, name, Template((Container("coredns", "coredns/coredns:1.11.3", ports),)),
                 2)
        return service(sim, kind, ns, name, [ServicePort("dns", 53, "dns", "UDP"),
                                             ServicePort("dns-tcp", 53, "dns-tcp", "TCP")])
    if kind in ("headless-sts", "headless-noports"):
        pg = ContainerPort("postgres", 5432)
        c = Container("db", f"postgres:16.{sim.rng.randrange(6)}", (pg,))
        workload(sim, "StatefulSet", ns, name, name, Template((c,)), sim.rng.choice((1, 3, 3, 5)))
        ports = [ServicePort("postgres", 5432, "postgres")] if kind == "headless-sts" else []
        return service(sim, kind, ns, name, ports, headless=True)
    if kind == "daemonset":
        c = Container("node-exporter", "prom/node-exporter:v1.8.2", (ContainerPort("metrics", 9100),))
        workload(sim, "DaemonSet", ns, name, name, Template((c,)), 0)
        return service(sim, kind, ns, name, [ServicePort("metrics", 9100, "metrics")])
    if kind == "selectorless":
        return _selectorless(sim, ns, name)
    if kind == "stragglers":
        return _stragglers(sim, ns, name, Template((app,)), http_port)
    if kind == "peer-discovery":
        # etcd-style peers find each other before they are ready: publishNotReadyAddresses.
        peer, client = ContainerPort("peer", 2380), ContainerPort("client", 2379)
        c = Container("etcd", f"quay.io/coreos/etcd:v3.5.{sim.rng.randrange(9, 17)}", (client, peer))
        w = workload(sim, "StatefulSet", ns, name, name, Template((c,)), 3)
        sim.set_ready(w.pods[-1], False)
        return service(sim, kind, ns, name, [ServicePort("peer", 2380, "peer"), ServicePort("client", 2379, "client")],
                       headless=True, publish_not_ready=True)
    if kind == "ipv6-only":
        workload(sim, "Deployment", ns, name, name, Template((app,)), _replicas(sim))
        return service(sim, kind, ns, name, [http_port], ipv6_only=True)
    if kind == "mirrored":
        return _mirrored(sim, ns, name)
    if kind == "ip-reuse":
        return _ip_reuse(sim, ns, name, Template((app,)), http_port)
    if kind == "fqdn":
        svc = _selectorless(sim, ns, name)
        svc.kind = "fqdn"
        svc.hand_slices.append(HandSlice(sim.ids.generated(ns, name + "-"), sim.ids.uid(), "FQDN",
                                         [{"name": p.name, "protocol": "TCP", "port": p.target} for p in svc.ports],
                                         [f"{name}.partner.example.com"], sim.clock, "external-dns.example.com"))
        return svc
    raise ValueError(f"unknown Service kind {kind!r}")


def _selectorless(sim: ClusterSim, ns: str, name: str) -> Service:
    two = sim.rng.random() < 0.4
    ports = [ServicePort("https", 443, 8443)] + ([ServicePort("http", 80, 8080)] if two else [])
    svc = service(sim, "selectorless", ns, name, ports, selector=False)
    manager = sim.rng.choice(HAND_MANAGERS)
    count = sim.rng.choice((1, 1, 2))
    for i in range(count):
        entries = [{"name": p.name, "protocol": "TCP", "port": p.target} for p in ports]
        addresses = [sim.ids.external_ip() for _ in range(sim.rng.randrange(1, 4))]
        slice_name = sim.ids.reserve(ns, f"{name}-{i + 1}") if manager == "ops-team" else \
            sim.ids.generated(ns, name + "-")
        svc.hand_slices.append(HandSlice(slice_name, sim.ids.uid(), "IPv4", entries, addresses, sim.clock, manager))
    return svc


def _stragglers(sim: ClusterSim, ns: str, name: str, template: Template, port: ServicePort) -> Service:
    """Pods the controller leaves out: one Pending (unschedulable, no IP), one evicted (Failed, keeps its
    IP), one on a Node that is gone, and a finished Job's pod carrying the app's labels."""
    w = workload(sim, "Deployment", ns, name, name, template, max(2, _replicas(sim)))
    pending = sim.new_pod(w, ready=False)
    pending.phase, pending.node, pending.zone, pending.ip4, pending.ip6 = "Pending", "", "", "", None
    evicted = sim.new_pod(w, ready=False)
    evicted.phase = "Failed"
    w.pods[0].node, w.pods[0].zone = "ip-10-0-0-0.gone.compute.internal", ""
    w.replicas += 1  # the Pending pod is a replica the scheduler cannot place
    w.pods += [pending, evicted]
    sim.sync_replicasets(w)
    job = f"{name}-migrate"
    ip4, ip6 = sim.ids.pod_ips()
    node, zone = sim.nodes[0]
    migrate = Template((Container("migrate", template.containers[0].image, ()),))
    sim.loose_pods.append(Pod(sim.ids.generated(ns, job + "-"), sim.ids.uid(), ns, dict(w.labels), migrate, "Job", job,
                              sim.ids.uid(), ("Job", job), node, zone, ip4, ip6, sim.clock, ready=False,
                              phase="Succeeded"))
    return service(sim, "stragglers", ns, name, [port])


def _mirrored(sim: ClusterSim, ns: str, name: str) -> Service:
    """A selector-less Service with an Endpoints object, which the mirroring controller copies."""
    ports = [ServicePort("https", 443, 8443)]
    ready = [sim.ids.external_ip() for _ in range(sim.rng.randrange(1, 4))]
    subset = EndpointsSubset(ready, [sim.ids.external_ip()], [{"name": "https", "port": 8443, "protocol": "TCP"}])
    return service(sim, "mirrored", ns, name, ports, selector=False, endpoints=[subset])


def _ip_reuse(sim: ClusterSim, ns: str, name: str, template: Template, port: ServicePort) -> Service:
    """A pod stuck terminating (its containers gone, a finalizer left) whose IP a new pod got
    (kubernetes issue #135266): both are in the slice, and kube-proxy keeps the new one."""
    w = workload(sim, "Deployment", ns, name, name, template, max(2, _replicas(sim)))
    old = w.pods[0]
    sim.terminate(old)
    old.stuck, old.ready = True, False
    new = sim.new_pod(w, ready=True)
    new.ip4, new.ip6 = old.ip4, old.ip6
    w.pods.append(new)
    sim.sync_replicasets(w)
    return service(sim, "ip-reuse", ns, name, [port])
