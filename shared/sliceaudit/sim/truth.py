"""Ground truth: what the audit must say about each Service, from what the generator built.

An oracle independent of sliceaudit.core: it works on the model (pods, their templates,
Service ports, the hand-made slices as designed) and only borrows slice *names* from the
controller's state. Which pods are published follows the controller's rules (running, on a known
Node unless publishNotReadyAddresses; ready = publishNotReadyAddresses or ready and not
terminating); a mirrored Endpoints contributes its ready addresses, 1000 a subset. Conventions
shared with the core: counts are distinct first addresses of ready endpoints; a Service without
ports is ok with no findings; NULL_PORTS,
PORT_UNSET and PORT_ZERO are one finding each across ports, PORT_MISSING one per Service port;
lists are sorted.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sliceaudit.api.objects import EndpointSlice
from sliceaudit.sim.model import Pod, Service, ServicePort, Template, selects

BACKEND, UNSET, ZERO, NULL, MISSING = range(5)
_CODES = {NULL: "NULL_PORTS", UNSET: "PORT_UNSET", ZERO: "PORT_ZERO", MISSING: "PORT_MISSING"}
_WHY = {
    "NULL_PORTS": "sit in EndpointSlices with ports: null",
    "PORT_UNSET": "sit in EndpointSlices whose entry for the port has no number",
    "PORT_ZERO": "sit in EndpointSlices that publish the port as 0",
    "PORT_MISSING": "sit in EndpointSlices that list other ports but not this one",
}


def _declares(template: Template, name: str, protocol: str) -> bool:
    return any(p.name == name and p.protocol == protocol for c in template.containers for p in c.ports)


def _pod_number(pod: Pod, sp: ServicePort) -> int | None:
    if isinstance(sp.target, int):
        return sp.target
    # Regular containers first, then native sidecars, as the controller's FindPort does.
    for sidecar in (False, True):
        for c in pod.template.containers:
            if c.sidecar == sidecar:
                for p in c.ports:
                    if p.name == sp.target and p.protocol == sp.protocol:
                        return p.number
    return None


def _hand_verdict(ports: list[dict] | None, sp: ServicePort) -> tuple[int, int]:
    if not ports:
        return NULL, 0
    for entry in ports:
        if (entry.get("name") or "") == sp.name and (entry.get("protocol") or "TCP") == sp.protocol:
            number = entry.get("port")
            if number is None:
                return UNSET, 0
            if number == 0:
                return ZERO, 0
            return BACKEND, number
    return MISSING, 0


def _backend(address: str, number: int) -> str:
    return f"[{address}]:{number}" if ":" in address else f"{address}:{number}"


MIRROR_LIMIT = 1000  # addresses of one Endpoints subset that get mirrored


def _in_slices(service: Service, pod: Pod, nodes: Collection[str]) -> bool:
    """Whether the controller publishes the pod at all: running (so it has an IP), on a known Node
    unless the Service publishes not-ready addresses."""
    return pod.phase == "Running" and (pod.node in nodes or service.publish_not_ready)


def _ready(service: Service, pod: Pod) -> bool:
    return service.publish_not_ready or (pod.ready and not pod.terminating)


def service_truth(service: Service, pods: Iterable[Pod], slices: list[EndpointSlice],
                  nodes: Collection[str] = ()) -> dict:
    """The ServiceReport (as a dict) the audit of `service` must produce; `nodes` are the Nodes that exist."""
    # address -> (slice name, pod or None, verdicts per Service port index)
    rows: list[tuple[str, str, Pod | None, list[tuple[int, int]]]] = []
    selected: list[Pod] = []
    if service.selector:
        where = {(s.address_type, e.target_ref.name): s.metadata.name for s in slices for e in s.endpoints or ()
                 if e.target_ref}
        selected = [p for p in pods if p.namespace == service.namespace and selects(service.selector, p.labels)]
        for pod in selected:
            if not _in_slices(service, pod, nodes) or not _ready(service, pod):
                continue
            for address_type, address in (("IPv4", pod.ip4), ("IPv6", pod.ip6)):
                if address_type not in service.address_types or not address:
                    continue
                numbers = [_pod_number(pod, sp) for sp in service.ports]
                if all(n is None for n in numbers):
                    verdicts = [(NULL, 0)] * len(numbers)
                else:
                    verdicts = [(MISSING, 0) if n is None else (BACKEND, n) for n in numbers]
                rows.append((address, where.get((address_type, pod.name), ""), pod, verdicts))
    elif service.endpoints is not None:
        where = {(s.address_type, e.addresses[0]): s.metadata.name for s in slices for e in s.endpoints or ()
                 if e.addresses}
        for sub in service.endpoints:
            for address in sub.addresses[:MIRROR_LIMIT]:
                family = "IPv6" if ":" in address else "IPv4"
                rows.append((address, where.get((family, address), ""), None,
                             [_hand_verdict(sub.ports, sp) for sp in service.ports]))
    else:
        for h in service.hand_slices:
            for address in h.addresses:
                rows.append((address, h.name, None, [_hand_verdict(h.ports, sp) for sp in service.ports]))

    serving = {address for address, *_ in rows}
    base = {"namespace": service.namespace, "name": service.name}
    if not service.ports:
        return {**base, "status": "ok", "endpoints": len(serving), "null_port_endpoints": 0,
                "port_zero_endpoints": 0, "ports": [], "findings": []}

    ports = []
    for i, sp in enumerate(service.ports):
        backends = sorted({_backend(a, v[i][1]) for a, _, _, v in rows if v[i][0] == BACKEND})
        ports.append({"name": sp.name, "port": sp.port, "protocol": sp.protocol, "backends": backends})

    groups: dict[tuple[str, str], dict] = {}
    for i, sp in enumerate(service.ports):
        for address, slice_name, pod, verdicts in rows:
            state = verdicts[i][0]
            if state == BACKEND:
                continue
            code = _CODES[state]
            g = groups.setdefault((code, sp.name if code == "PORT_MISSING" else ""),
                                  {"addresses": {}, "slices": set(), "ports": []})
            g["addresses"][address] = pod
            g["slices"].add(slice_name)
            if sp not in g["ports"]:
                g["ports"].append(sp)

    spanning = sorted({(p.workload[0], p.namespace, p.workload[1]) for p in selected})
    findings = []
    for (code, _), g in sorted(groups.items()):
        addresses = sorted(g["addresses"])
        named = [(sp.target, sp.protocol) for sp in g["ports"] if isinstance(sp.target, str) and sp.target]
        causes: dict[tuple[str, str, str], list] = {}
        for address in addresses:
            pod = g["addresses"][address]
            if pod is None:
                continue
            key = (pod.workload[0], pod.namespace, pod.workload[1])
            cause = causes.setdefault(key, [0, set()])
            cause[0] += 1
            cause[1].update(f"{n}/{proto}" for n, proto in named if not _declares(pod.template, n, proto))
        workloads = []
        for (kind, ns, name), (count, lacks) in sorted(causes.items()):
            w = {"kind": kind, "namespace": ns, "name": name, "pods": count}
            if lacks:
                w["lacks"] = sorted(lacks)
            workloads.append(w)
        port_names = [sp.name for sp in g["ports"]]
        finding = {
            "code": code,
            "message": (f"{len(addresses)} endpoint(s) of Service {service.namespace}/{service.name} "
                        f"{_WHY[code]} ({', '.join(repr(n) for n in port_names)})"),
            "slices": sorted(g["slices"]),
            "endpoints": len(addresses),
            "addresses": addresses,
        }
        if port_names:
            finding["ports"] = port_names
        if workloads:
            finding["workloads"] = workloads
        if len(spanning) > 1:
            finding["selector_workloads"] = [f"{k} {ns}/{n}" for k, ns, n in spanning]
        findings.append(finding)

    null = {a for a, _, _, v in rows if any(s == NULL for s, _ in v)}
    zero = {a for a, _, _, v in rows if any(s in (UNSET, ZERO) for s, _ in v)}
    if serving and any(not p["backends"] for p in ports):
        status = "outage"
    elif any(s != BACKEND for _, _, _, v in rows for s, _ in v):
        status = "degraded"
    else:
        status = "ok"
    return {**base, "status": status, "endpoints": len(serving), "null_port_endpoints": len(null),
            "port_zero_endpoints": len(zero), "ports": ports, "findings": findings}
