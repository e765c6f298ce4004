"""Reading slices the way a Go consumer sees them, shared by the consumer models.

The models read the conditions' raw values (None = the field is absent) rather than the
records' defaulted properties: each consumer has its own nil rules, and modelling them is the
point. What every consumer gets already defaulted by the API server (a port entry's name "" and
protocol TCP, a Service port's targetPort = its port) is taken from the records' defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sliceaudit.api.records import Endpoint, EndpointConditions, EndpointSlice, Service, ServicePort
from sliceaudit.consumers.model import Effect, EffectKind, Outcome, PortRoutes

NO_CONDITIONS = EndpointConditions()


class ControllerPanic(Exception):
    """The consumer's Go code dereferences a nil pointer here (or indexes past the end)."""


def hostport(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def pairs(addresses: Iterable[str], port: int) -> list[str]:
    """`hostport` of each address (the models' inner loop: one comprehension, no call per address)."""
    return [f"[{a}]:{port}" if ":" in a else f"{a}:{port}" for a in addresses]


def conditions(e: Endpoint) -> EndpointConditions:
    """The conditions as Go sees them: an absent object is a struct of nil pointers."""
    return e.conditions or NO_CONDITIONS


def in_list_order(slices: Iterable[EndpointSlice]) -> list[EndpointSlice]:
    """The order the API server lists a Service's slices in (etcd key order: by name)."""
    return sorted(slices, key=lambda s: s.metadata.name)


def target_port(port: ServicePort) -> int | str:
    """The Service port's targetPort; the API server defaults an absent one to the port number."""
    return port.port if port.target_port is None else port.target_port


def routes(port: ServicePort, backends: Iterable[str]) -> PortRoutes:
    return PortRoutes(port.name or "", port.port, port.protocol or "TCP", tuple(sorted(set(backends))))


def panicked(service: Service, where: str, detail: str, kind: EffectKind = EffectKind.PANIC) -> Outcome:
    """A panic while building the Service's configuration: nothing of it is programmed."""
    return Outcome(tuple(routes(p, ()) for p in service.ports), (Effect(kind, None, f"{where}: {detail}"),))


def per_port(service: Service, slices: Sequence[EndpointSlice], where: str, build) -> Outcome:
    """Run `build(port, slices) -> (backends, effects)` for each Service port; a ControllerPanic panics."""
    out, effects = [], []
    try:
        for p in service.ports:
            backends, port_effects = build(p, slices)
            out.append(routes(p, backends))
            effects.extend(port_effects)
    except ControllerPanic as e:
        return panicked(service, where, str(e))
    return Outcome(tuple(out), tuple(effects))


def label(port: ServicePort) -> str:
    return repr(port.name) if port.name else "(unnamed)"
