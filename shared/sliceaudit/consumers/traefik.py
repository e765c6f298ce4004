"""Traefik (traefik/traefik pkg/provider/kubernetes: ingress/kubernetes.go, crd/kubernetes_http.go, _tcp.go).

Source read at v3.6.22, v3.6.23 (1cb33b70, "Fix panic when endpointslice port value or name is
nil", also in v3.7.7) and fd5a576d (v3.7.9), `loadService` / `loadServers`:
- per slice, the FIRST entry whose name equals the Service port's name (no protocol check); before
  the fix `port = *p.Port` panics on a number-less one; since, a nil number reads 0, and a slice
  whose number is 0 is skipped (`if port == 0 { continue }`). A slice without ports gives nothing.
- HTTP routers: endpoints with `serving: false` are skipped (nil = serving); terminating ones are
  `Fenced` (no new requests). Addresses are deduplicated by address alone: an address in two
  slices keeps the first slice's number (not in the reference table). Every address is used.
- TCP/UDP routers (IngressRouteTCP, TCPRoute): `Ready == nil || !*Ready` skips the endpoint, so an
  absent ready condition DROPS it.
The panic happens inside the provider's operation, which `safe.OperationWithRecover` turns into
an error and retries with backoff: no configuration from that provider is published meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence

from sliceaudit.api.records import EndpointSlice, Service, ServicePort
from sliceaudit.consumers.model import Behaviour, Consumer, Effect, EffectKind, Outcome
from sliceaudit.consumers.reading import ControllerPanic, conditions, hostport, in_list_order, label, per_port
from sliceaudit.consumers.versions import VersionRange, v

WHERE = "Traefik's Kubernetes provider panics (nil slice port number; recovered, the provider's update is retried)"


def _slice_port(sp: ServicePort, s: EndpointSlice, nil_panics: bool) -> int:
    for p in s.ports or ():
        if p.key[0] == (sp.name or ""):
            if p.port is None and nil_panics:
                raise ControllerPanic(f"slice {s.metadata.name} has an entry for port {label(sp)} without a number")
            return p.port or 0
    return 0


def _build(nil_panics: bool):
    def build(sp: ServicePort, slices: Sequence[EndpointSlice]):
        seen: set[str] = set()
        backends, nil_ready = [], 0
        for s in in_list_order(slices):
            number = _slice_port(sp, s, nil_panics)
            if number == 0:
                continue
            for e in s.endpoints or ():
                c = conditions(e)
                if c.ready is None:
                    nil_ready += 1
                if c.serving is False:
                    continue
                for a in e.addresses:
                    if a in seen:
                        continue
                    seen.add(a)
                    if c.terminating is not True:   # fenced: no new requests
                        backends.append(hostport(a, number))
        effects = ()
        if nil_ready:
            effects = (Effect(EffectKind.ENDPOINT_DROPPED, sp.name or "",
                              f"port {label(sp)}: TCP/UDP routers drop {nil_ready} endpoint(s) without a ready "
                              f"condition (HTTP routers keep them)"),)
        return backends, effects
    return build


def before_fix(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    return per_port(service, slices, WHERE, _build(nil_panics=True))


def after_fix(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    return per_port(service, slices, WHERE, _build(nil_panics=False))


PATH = "pkg/provider/kubernetes/ingress/kubernetes.go loadService, crd/kubernetes_tcp.go"
CONSUMER = Consumer(
    name="traefik",
    title="Traefik",
    images=("traefik",),
    behaviours=(
        Behaviour("v3.1.0 to v3.6.22, v3.7.0 to v3.7.6",
                  (VersionRange(v("3.1.0"), v("3.6.23")), VersionRange(v("3.7.0"), v("3.7.7"))),
                  before_fix, f"{PATH} @ v3.6.22"),
        Behaviour(">= v3.6.23 (v3.7.7)",
                  (VersionRange(v("3.6.23"), v("3.7.0")), VersionRange(since=v("3.7.7"))),
                  after_fix, f"{PATH} @ v3.6.23 (1cb33b70), v3.7.9"),
    ),
    note="routes modelled for HTTP routers; before v3.1.0 Traefik reads the Endpoints API",
)
