"""Raw API objects for the exporter's tests, shaped like `kubectl get -o json` items."""

from __future__ import annotations

import itertools

from sliceaudit.api.decode import WatchEvent, decode_object

_uids = itertools.count(1)


def service(ns: str, name: str, ports=(("http", 80, "http"),), rv: str = "1") -> dict:
    """`ports`: (name, port, targetPort) triples; () for a headless DNS-only Service."""
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"namespace": ns, "name": name, "uid": f"svc-{ns}-{name}", "resourceVersion": rv},
            "spec": {"selector": {"app": name},
                     "ports": [{"name": n, "port": p, "targetPort": t, "protocol": "TCP"} for n, p, t in ports]}}


def endpoint_slice(ns: str, name: str, service_name: str | None, addresses, ports=(("http", 8080),),
                   rv: str = "1", uid: str | None = None, ready: bool = True) -> dict:
    """`ports`: (name, number) pairs; None for `ports: null`; a number of None for a port-less entry."""
    labels = {"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    if service_name:
        labels["kubernetes.io/service-name"] = service_name
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
            "metadata": {"namespace": ns, "name": name, "uid": uid or f"slice-{ns}-{name}",
                         "resourceVersion": rv, "labels": labels},
            "endpoints": [{"addresses": [a], "conditions": {"ready": ready}} for a in addresses],
            "ports": None if ports is None else [
                {"name": n, "protocol": "TCP", **({} if p is None else {"port": p})} for n, p in ports]}


def record(obj: dict):
    return decode_object(obj["kind"], obj)


def event(type_: str, obj: dict) -> WatchEvent:
    rec = record(obj)
    return WatchEvent(type_, rec, None, rec.metadata.resource_version)


def write_kubeconfig(path, servers: dict[str, str], current: str | None = None) -> str:
    """A kubeconfig with one context per cluster name, each with a dummy token."""
    import yaml

    doc = {"apiVersion": "v1", "kind": "Config",
           "clusters": [{"name": n, "cluster": {"server": url}} for n, url in servers.items()],
           "users": [{"name": "u", "user": {"token": "dummy"}}],
           "contexts": [{"name": n, "context": {"cluster": n, "user": "u"}} for n in servers],
           "current-context": current or next(iter(servers))}
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
