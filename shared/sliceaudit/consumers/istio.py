"""Istio's pilot (istio/istio pilot/pkg/serviceregistry/kube/controller/endpointslice.go).

Source read at 86c9f01f (master, 2026-08):
- `updateEndpointCacheForSlice`: FQDN slices are skipped; every address of every endpoint gets
  one IstioEndpoint per slice port entry, named after the entry (a nil number is 0); a slice with
  no ports gives none. Envoy clusters are per Service port and take the entries with its name.
- `endpointHealthStatus`: nil or true ready is Healthy; otherwise Draining / Terminating /
  UnHealthy, which the EDS builder does not send (unless the Service allows unhealthy endpoints).
- pilot/pkg/networking/util/util.go `BuildAddress`: `BuildNetworkAddress` returns nil for port 0,
  and the endpoint is sent as a `Pipe` (unix socket) whose path is the pod IP.
"""

from __future__ import annotations

from collections.abc import Sequence

from sliceaudit.api.records import EndpointSlice, Service, ServicePort
from sliceaudit.consumers.model import Behaviour, Consumer, Effect, EffectKind, Outcome
from sliceaudit.consumers.reading import conditions, hostport, label, per_port
from sliceaudit.consumers.versions import VersionRange, v


def build(sp: ServicePort, slices: Sequence[EndpointSlice]):
    backends, pipes = [], []
    for s in slices:
        if s.address_type == "FQDN":
            continue
        entries = [p for p in s.ports or () if p.key[0] == (sp.name or "")]
        for e in s.endpoints or ():
            if conditions(e).ready is False:
                continue
            for a in e.addresses:
                for p in entries:
                    backends.append(hostport(a, p.port or 0))
                    if not p.port:
                        pipes.append(a)
    effects = ()
    if pipes:
        effects = (Effect(EffectKind.UNIX_SOCKET, sp.name or "",
                          f"port {label(sp)}: {len(set(pipes))} endpoint(s) with port 0 are sent to Envoy as "
                          f"unix-socket paths named after the pod IP ({', '.join(sorted(set(pipes))[:3])})"),)
    return backends, effects


def model(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    return per_port(service, slices, "istiod", build)


CONSUMER = Consumer(
    name="istio",
    title="Istio",
    images=("istio/pilot",),
    behaviours=(Behaviour(">= 1.19 (slices only)", (VersionRange(since=v("1.19.0")),), model,
                          "pilot/pkg/serviceregistry/kube/controller/endpointslice.go @ 86c9f01f"),),
    note="before 1.19 istiod could read the Endpoints API instead",
)
