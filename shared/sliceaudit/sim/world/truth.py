"""Ground truth: what the audit must say about each Service, from what the generator built.

An oracle independent of sliceaudit.audit, sharing only the report's terms (audit/terms.py): it
works on the model (pods, their templates, Service ports, the hand-made slices as designed) and
only borrows slice *names* from the controller's state. Which pods are published follows the
controller's rules (running, on a known Node unless publishNotReadyAddresses; ready =
publishNotReadyAddresses or ready and not terminating); a mirrored Endpoints contributes its ready
addresses, 1000 a subset. Conventions shared with the core: counts are distinct first addresses of
ready endpoints; a Service without ports is ok with no findings; NULL_PORTS, PORT_UNSET and
PORT_ZERO are one finding each across ports, PORT_MISSING one per Service port; lists are sorted.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sliceaudit.api.objects import EndpointSlice
from sliceaudit.audit.terms import NULL_PORT_CODES, PORT_ZERO_CODES, Code, Status
from sliceaudit.sim.world.model import HandSlice, Pod, Service, ServicePort, Template, selects

BACKEND, UNSET, ZERO, NULL, MISSING = range(5)
_CODES = {NULL: Code.NULL_PORTS, UNSET: Code.PORT_UNSET, ZERO: Code.PORT_ZERO, MISSING: Code.PORT_MISSING}
_WHY = {
    Code.NULL_PORTS: "sit in EndpointSlices with ports: null",
    Code.PORT_UNSET: "sit in EndpointSlices whose entry for the port has no number",
    Code.PORT_ZERO: "sit in EndpointSlices that publish the port as 0",
    Code.PORT_MISSING: "sit in EndpointSlices that list other ports but not this one",
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


@dataclass(frozen=True)
class _Copy:
    """One endpoint as some slice lists it: an address with conditions and a verdict per Service port."""

    address: str
    slice: str
    pod: Pod | None
    verdicts: list[tuple[int, int]]  # (state, number) per Service port
    ready: bool = True
    serving: bool = True
    terminating: bool = False


def _in_slices(service: Service, pod: Pod, nodes: Collection[str]) -> bool:
    """Whether the controller publishes the pod at all: running (so it has an IP), on a known Node
    unless the Service publishes not-ready addresses."""
    return pod.phase == "Running" and (pod.node in nodes or service.publish_not_ready)


def _pod_copies(service: Service, pods: Iterable[Pod], slices: list[EndpointSlice], nodes: Collection[str]):
    where = {(s.address_type, e.target_ref.name): s.metadata.name for s in slices for e in s.endpoints or ()
             if e.target_ref}
    for pod in pods:
        if not _in_slices(service, pod, nodes):
            continue
        numbers = [_pod_number(pod, sp) for sp in service.ports]
        if all(n is None for n in numbers):
            verdicts = [(NULL, 0)] * len(numbers)
        else:
            verdicts = [(MISSING, 0) if n is None else (BACKEND, n) for n in numbers]
        ready = service.publish_not_ready or (pod.ready and not pod.terminating)
        for address_type, address in (("IPv4", pod.ip4), ("IPv6", pod.ip6)):
            if address_type in service.address_types and address:
                yield _Copy(address, where.get((address_type, pod.name), ""), pod, verdicts, ready, pod.ready,
                            pod.terminating)


def _fallback(c: _Copy) -> bool:
    return c.serving and c.terminating


def _rank(c: _Copy) -> tuple[bool, bool, bool]:
    """Which copy of an ip:port kube-proxy keeps: not terminating first, then ready, then serving."""
    return (c.terminating, not c.ready, not c.serving)


def service_truth(service: Service, pods: Iterable[Pod], slices: list[EndpointSlice],
                  nodes: Collection[str] = ()) -> dict:
    """The ServiceReport (as a dict) the audit of `service` must produce; `nodes` are the Nodes that exist."""
    copies: list[_Copy] = []
    selected: list[Pod] = []
    fqdn = [h for h in service.hand_slices if h.address_type == "FQDN"]
    if service.selector:
        selected = [p for p in pods if p.namespace == service.namespace and selects(service.selector, p.labels)]
        copies = list(_pod_copies(service, selected, slices, nodes))
    elif service.endpoints is not None:
        where = {(s.address_type, e.addresses[0]): s.metadata.name for s in slices for e in s.endpoints or ()
                 if e.addresses}
        for sub in service.endpoints:
            for address in sub.addresses[:MIRROR_LIMIT]:
                family = "IPv6" if ":" in address else "IPv4"
                copies.append(_Copy(address, where.get((family, address), ""), None,
                                    [_hand_verdict(sub.ports, sp) for sp in service.ports]))
    else:
        for h in service.hand_slices:
            if h.address_type != "FQDN":
                copies.extend(_Copy(a, h.name, None, [_hand_verdict(h.ports, sp) for sp in service.ports])
                              for a in h.addresses)

    endpoints = {c.address for c in copies if c.ready}
    base = {"namespace": service.namespace, "name": service.name}
    fqdn_findings = _fqdn(service, fqdn)
    if not service.ports:
        return {**base, "status": Status.OK, "endpoints": len(endpoints), "null_port_endpoints": 0,
                "port_zero_endpoints": 0, "ports": [], "findings": fqdn_findings}

    ports, served, fallback_only, fallback_slices = [], [], [], set()
    chosen_by_port: list[set[tuple[str, int]]] = []
    for i, sp in enumerate(service.ports):
        kept: dict[tuple[str, int], _Copy] = {}
        for c in copies:
            state, number = c.verdicts[i]
            if state == BACKEND:
                held = kept.get((c.address, number))
                if held is None or _rank(c) < _rank(held):
                    kept[(c.address, number)] = c
        chosen = {k for k, c in kept.items() if c.ready}
        fallback = not chosen
        if fallback:
            chosen = {k for k, c in kept.items() if _fallback(c)}
            fallback_slices.update(c.slice for c in copies if c.verdicts[i][0] == BACKEND
                                   and (c.address, c.verdicts[i][1]) in chosen)
        fallback_only.append(fallback and bool(chosen))
        chosen_by_port.append(chosen)
        served.append({a for a, _ in chosen})
        ports.append({"name": sp.name, "port": sp.port, "protocol": sp.protocol,
                      "backends": sorted(_backend(a, n) for a, n in chosen)})

    # A ready endpoint that is no backend of a port: the best thing a slice says of it there, the
    # first slice by name saying it.
    groups: dict[tuple[str, str], dict] = {}
    for i, sp in enumerate(service.ports):
        best: dict[str, tuple[int, str, Pod | None]] = {}
        for c in sorted(copies, key=lambda c: c.slice):
            state = c.verdicts[i][0]
            if not c.ready or state == BACKEND or c.address in served[i]:
                continue
            held = best.get(c.address)
            if held is None or state < held[0]:
                best[c.address] = (state, c.slice, c.pod if held is None else held[2])
        for address, (state, slice_name, pod) in best.items():
            code = _CODES[state]
            g = groups.setdefault((code, sp.name if code == Code.PORT_MISSING else ""),
                                  {"addresses": {}, "slices": set(), "ports": []})
            g["addresses"].setdefault(address, pod)
            g["slices"].add(slice_name)
            if sp not in g["ports"]:
                g["ports"].append(sp)

    spanning = sorted({(p.workload[0], p.namespace, p.workload[1]) for p in selected})
    findings = [_fault(service, code, g, spanning) for (code, _), g in sorted(groups.items())]
    if any(fallback_only):
        addresses = sorted(set().union(*(served[i] for i, f in enumerate(fallback_only) if f)))
        names = [sp.name for sp, f in zip(service.ports, fallback_only) if f]
        findings.append({"code": Code.TERMINATING_ONLY,
                         "message": f"port(s) {names} of Service {service.namespace}/{service.name} are served "
                                    "only by terminating endpoints",
                         "slices": sorted(fallback_slices), "endpoints": len(addresses), "addresses": addresses,
                         "ports": names})
    # PORT_INCONSISTENT (informational): a port whose backends use more than one number.
    mixed = [i for i, chosen in enumerate(chosen_by_port) if len({n for _, n in chosen}) > 1]
    if mixed:
        addresses = sorted({a for i in mixed for a, _ in chosen_by_port[i]})
        names = sorted({c.slice for i in mixed for c in copies
                        if c.verdicts[i][0] == BACKEND and (c.address, c.verdicts[i][1]) in chosen_by_port[i]})
        findings.append({"code": Code.PORT_INCONSISTENT,
                         "message": f"Service {service.namespace}/{service.name} is served on more than one number",
                         "slices": names, "endpoints": len(addresses), "addresses": addresses,
                         "ports": [service.ports[i].name for i in mixed]})
    findings += fqdn_findings

    null = set().union(*(g["addresses"] for (code, _), g in groups.items() if code in NULL_PORT_CODES))
    zero = set().union(*(g["addresses"] for (code, _), g in groups.items() if code in PORT_ZERO_CODES))
    if endpoints and any(not p["backends"] for p in ports):
        status = Status.OUTAGE
    elif any(endpoints - s for s in served) or any(fallback_only):
        status = Status.DEGRADED
    else:
        status = Status.OK
    return {**base, "status": status, "endpoints": len(endpoints), "null_port_endpoints": len(null),
            "port_zero_endpoints": len(zero), "ports": ports, "findings": findings}


def _fault(service: Service, code: str, g: dict, spanning: list) -> dict:
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
    return finding


def _fqdn(service: Service, slices: list[HandSlice]) -> list[dict]:
    """FQDN slices count for nothing (kube-proxy never reads them): one informational finding."""
    if not slices:
        return []
    addresses = sorted({a for h in slices for a in h.addresses})
    return [{"code": Code.FQDN_SLICE, "message": f"Service {service.namespace}/{service.name} has FQDN slices",
             "slices": sorted(h.name for h in slices), "endpoints": len(addresses), "addresses": addresses}]
