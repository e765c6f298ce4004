"""Envoy Gateway (envoyproxy/gateway internal/gatewayapi/route.go, internal/ir/xds.go).

Source read at d32f2829 (main):
- route.go `getIREndpointsFromEndpointSlice`: entries whose name AND protocol equal the Service
  port's; `uint32(*endpointPort.Port)` panics on a number-less one (the watch's handler in
  internal/message/watchutil.go recovers, and that translation is dropped). Draining when both
  serving and terminating are set and (terminating or not serving), else when `ready: false`;
  draining endpoints get no new requests. Every address is used; FQDN slices are read too.
- xds.go `DestinationEndpoint.Validate`: port 0 is ErrDestEndpointPortInvalid; the gateway-api
  runner then skips the WHOLE xDS IR of that Gateway ("unable to validate xds ir, skipped sending
  it"): no route of that Gateway is updated while the endpoint exists (#5708).
"""

from __future__ import annotations

from collections.abc import Sequence

from sliceaudit.api.records import EndpointSlice, Service, ServicePort
from sliceaudit.consumers.model import Behaviour, Consumer, Effect, EffectKind, Outcome
from sliceaudit.consumers.reading import ControllerPanic, conditions, hostport, label, per_port
from sliceaudit.consumers.versions import VersionRange

WHERE = "Envoy Gateway's translation panics (recovered: that Gateway's update is dropped)"


def _draining(e) -> bool:
    c = conditions(e)
    if c.serving is not None and c.terminating is not None:
        return c.terminating or not c.serving
    return c.ready is False


def build(sp: ServicePort, slices: Sequence[EndpointSlice]):
    backends, zero = [], 0
    for s in slices:
        for e in s.endpoints or ():
            for p in s.ports or ():
                if p.key != sp.key:
                    continue
                if p.port is None:
                    raise ControllerPanic(f"slice {s.metadata.name} has an entry for port {label(sp)} without a number")
                if p.port == 0:
                    zero += len(e.addresses)
                if not _draining(e):
                    backends.extend(hostport(a, p.port) for a in e.addresses)
    effects = ()
    if zero:
        effects = (Effect(EffectKind.CONFIG_REJECTED, sp.name or "",
                          f"port {label(sp)}: {zero} endpoint(s) with port 0 fail the xDS IR's validation "
                          f"(ErrDestEndpointPortInvalid): the Gateway's whole update is not published"),)
    return backends, effects


def model(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    return per_port(service, slices, WHERE, build)


CONSUMER = Consumer(
    name="envoy-gateway",
    title="Envoy Gateway",
    images=("envoyproxy/gateway",),
    behaviours=(Behaviour("all (slices only)", (VersionRange(),), model,
                          "internal/gatewayapi/route.go getIREndpointsFromEndpointSlice @ d32f2829"),),
)
