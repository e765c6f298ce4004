"""Breaking and fixing a Service the way people do it by accident.

- null-ports: a second workload (a canary) matches the selector but lacks the named targetPort,
  so its pods land in a `ports: null` slice (degraded).
- outage: the workloads' named container port is renamed; every pod lacks it (outage).
- port-missing: a canary lacks one port of a multi-port Service (degraded, PORT_MISSING).
- port-unset / port-zero: a hand-made slice's entry loses its number / says 0.
- drain: the Deployments are scaled to zero; until their pods exit, kube-proxy sends traffic only to
  terminating pods (TERMINATING_ONLY), and then there is nothing left.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from sliceaudit.sim.world.cluster import ClusterSim
from sliceaudit.sim.world.model import Service, Template, Workload, selects

HOWS = ("null-ports", "outage", "port-missing", "port-unset", "port-zero", "drain")


class CannotBreak(ValueError):
    """The requested breakage does not apply to this Service."""


def _named(svc: Service) -> list[str]:
    return [p.target for p in svc.ports if isinstance(p.target, str)]


def selected_workloads(sim: ClusterSim, svc: Service) -> list[Workload]:
    return [w for w in sim.workloads.values()
            if w.namespace == svc.namespace and selects(svc.selector, w.labels)]


def applicable(sim: ClusterSim, svc: Service) -> list[str]:
    """The ways `svc` can be broken right now (none while it is broken)."""
    if svc.broken:
        return []
    if not svc.selector:
        return ["port-unset", "port-zero"] if any(h.ports and h.address_type != "FQDN" for h in svc.hand_slices) \
            and svc.ports else []
    named = _named(svc)
    mains = [w for w in selected_workloads(sim, svc) if w.canary_of is None]
    if not svc.ports or len(named) != len(svc.ports) or not mains:
        return []
    hows = ["null-ports"]
    if any(w.replicas for w in mains):
        hows.append("outage")
    if len(svc.ports) > 1:
        hows.append("port-missing")
    if any(w.kind == "Deployment" and w.replicas for w in mains):
        hows.append("drain")
    return hows


def break_service(sim: ClusterSim, svc: Service, how: str, instant: bool = True) -> None:
    if how not in HOWS:
        raise CannotBreak(f"unknown breakage {how!r}; one of {', '.join(HOWS)}")
    if how not in applicable(sim, svc):
        raise CannotBreak(f"Service {svc.namespace}/{svc.name} ({svc.kind}) cannot be broken with {how!r}"
                          + (" (already broken)" if svc.broken else ""))
    if how in ("port-unset", "port-zero"):
        svc.original_hand_ports = [copy.deepcopy(h.ports) for h in svc.hand_slices]
        first = next(h for h in svc.hand_slices if h.ports and h.address_type != "FQDN")
        entry = first.ports[0]
        if how == "port-unset":
            entry.pop("port", None)
        else:
            entry["port"] = 0
    elif how == "drain":
        for w in selected_workloads(sim, svc):
            if w.kind == "Deployment" and w.replicas:
                w.drained_from = w.replicas
                sim.scale(w, 0, instant=False)
    elif how == "outage":
        rename = {name: name[:11] + "-alt" for name in _named(svc)}
        for w in selected_workloads(sim, svc):
            if w.original_template is None:
                w.original_template = w.template
            sim.rollout(w, replace_template_ports(w.template, rename), instant=instant)
    else:
        main = next(w for w in selected_workloads(sim, svc) if w.canary_of is None)
        named = _named(svc)
        if how == "port-missing":
            rename: dict[str, str | None] = {named[-1]: None}
        elif sim.rng.random() < 0.5:
            rename = {name: None for name in named}
        else:
            rename = {name: name[:11] + "-alt" for name in named}
        name = sim.ids.reserve(svc.namespace, _free_name(sim, svc.namespace, main.name + "-canary"))
        canary = Workload("Deployment", svc.namespace, name, sim.ids.uid(),
                          {**svc.selector, "app.kubernetes.io/instance": name},
                          replace_template_ports(main.template, rename), sim.rng.choice((1, 1, 2, 3)), sim.clock,
                          canary_of=svc.key)
        sim.add_workload(canary)
    svc.broken = how


def _free_name(sim: ClusterSim, ns: str, name: str) -> str:
    n, candidate = 1, name
    while (ns, candidate) in sim.workloads:
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def fix_service(sim: ClusterSim, svc: Service, instant: bool = True) -> None:
    """Undoes whatever broke `svc` (also the generator's own breakage)."""
    for w in list(sim.workloads.values()):
        if w.canary_of == svc.key:
            sim.remove_workload(w)
    for w in selected_workloads(sim, svc):
        if w.drained_from is not None:
            replicas, w.drained_from = w.drained_from, None
            sim.reap(w)
            sim.scale(w, replicas, instant=instant)
        if w.original_template is not None:
            template, w.original_template = w.original_template, None
            sim.rollout(w, template, instant=instant)
    if svc.original_hand_ports is not None:
        for h, ports in zip(svc.hand_slices, svc.original_hand_ports):
            h.ports = ports
        svc.original_hand_ports = None
    svc.broken = None


def replace_template_ports(template: Template, rename: dict[str, str | None]) -> Template:
    """A template whose named container ports are renamed (or dropped, for None)."""
    containers = []
    for c in template.containers:
        ports = []
        for p in c.ports:
            if p.name in rename:
                if rename[p.name] is None:
                    continue
                p = replace(p, name=rename[p.name])
            ports.append(p)
        containers.append(replace(c, ports=tuple(ports)))
    return Template(tuple(containers))
