"""Builders of API objects for the controller model's golden tests: the fields a manifest has."""

from __future__ import annotations

import itertools

from sliceaudit.api.objects import decode

_n = itertools.count(1)


def pod(name, labels=None, ports=(("http", 8080),), *, ns="shop", ready=True, phase="Running", ips=None,
        node="node-a", deleting=False, hostname=None, subdomain=None, sidecar_ports=(), init_ports=(),
        protocol="TCP"):
    n = next(_n)
    spec = {"containers": [{"name": "app", "ports": [{"name": p, "containerPort": c, "protocol": protocol}
                                                     for p, c in ports]}]}
    init = []
    if sidecar_ports:
        init.append({"name": "proxy", "restartPolicy": "Always",
                     "ports": [{"name": p, "containerPort": c} for p, c in sidecar_ports]})
    if init_ports:
        init.append({"name": "setup", "ports": [{"name": p, "containerPort": c} for p, c in init_ports]})
    if init:
        spec["initContainers"] = init
    if node:
        spec["nodeName"] = node
    if hostname:
        spec["hostname"] = hostname
    if subdomain:
        spec["subdomain"] = subdomain
    ips = [f"10.0.{n // 250}.{n % 250 + 1}"] if ips is None else list(ips)
    status = {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    if ips:
        status["podIP"] = ips[0]
        status["podIPs"] = [{"ip": ip} for ip in ips]
    meta = {"name": name, "namespace": ns, "uid": f"uid-{name}", "labels": labels or {"app": "web"}}
    if deleting:
        meta["deletionTimestamp"] = "2026-12-01T10:00:00Z"
    return decode("Pod", {"metadata": meta, "spec": spec, "status": status})


def service(name="web", ports=(("http", 80, "http"),), *, ns="shop", selector=None, cluster_ip="10.96.0.10",
            families=("IPv4",), labels=None, publish_not_ready=False, type_=None, no_selector=False):
    spec: dict = {"ports": [{"name": n, "port": p, "targetPort": t, "protocol": "TCP"} for n, p, t in ports]}
    if not no_selector:
        spec["selector"] = selector or {"app": "web"}
    if cluster_ip is not None:
        spec["clusterIP"] = cluster_ip
    if families:
        spec["ipFamilies"] = list(families)
    if publish_not_ready:
        spec["publishNotReadyAddresses"] = True
    if type_:
        spec["type"] = type_
    return decode("Service", {"metadata": {"name": name, "namespace": ns, "uid": f"uid-svc-{name}",
                                           "labels": labels or {}}, "spec": spec})


def node(name="node-a", zone="eu-west-1a"):
    return decode("Node", {"metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": zone} if zone
                                        else {}}})


NODES = {"node-a": node("node-a", "eu-west-1a"), "node-b": node("node-b", "eu-west-1b")}


def names():
    """A generateName stand-in: prefix + a counter, like the API server's random suffix."""
    counter = itertools.count(1)
    return lambda prefix: f"{prefix}{next(counter):05d}"
