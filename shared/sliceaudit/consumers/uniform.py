"""Uniform Services: judged on a one-endpoint stand-in, so emulating consumers costs little where nothing differs.

A Service's slices are uniform when they all have the same address type (IPv4 or IPv6) and the
same `ports`, and every endpoint is one address, explicitly ready, serving and not terminating:
what the EndpointSlice controller writes for a healthy Service. Every model then routes every
address of such a Service at the same numbers per Service port, with the same effects, whatever
the addresses, slice names and order (and an address listed twice is deduplicated alike): none
of them reads anything else of an endpoint. So a consumer agrees with kube-proxy on the whole
Service exactly when it agrees on a stand-in with one slice (those ports) of one endpoint;
tests/consumers/test_consumer_uniform.py checks that claim against the full models.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from sliceaudit.api.records import (
    CLUSTER_IP_NONE,
    Endpoint,
    EndpointConditions,
    EndpointPort,
    EndpointSlice,
    ObjectMeta,
    Service,
)
from sliceaudit.consumers.model import Behaviour
from sliceaudit.consumers.registry import REFERENCE

PLAIN = EndpointConditions(ready=True, serving=True, terminating=False)
_ADDRESS = {"IPv4": "192.0.2.1", "IPv6": "2001:db8::1"}   # documentation ranges
_CACHE_MAX = 4096
_conditions, _addresses = attrgetter("conditions"), attrgetter("addresses")

Shape = tuple[str, tuple[EndpointPort, ...] | None]
_agrees: dict[tuple, dict[int, bool]] = {}


def uniform_shape(slices: Sequence[EndpointSlice]) -> Shape | None:
    """(address type, ports) shared by uniform slices (see the module doc); None otherwise."""
    if not slices:
        return None
    first = slices[0]
    ports, address_type = first.ports, first.address_type
    if address_type not in _ADDRESS:
        return None
    count = 0
    for s in slices:
        if s.ports != ports or s.address_type != address_type:
            return None
        endpoints = s.endpoints or ()
        # map/attrgetter and list.count run in C: this is the hot loop of a scan with consumers.
        if list(map(_conditions, endpoints)).count(PLAIN) != len(endpoints):
            return None
        if endpoints and set(map(len, map(_addresses, endpoints))) != {1}:
            return None   # an endpoint with more or fewer than one address
        count += len(endpoints)
    if count == 0:
        return None
    return (address_type, ports)


def stand_in(service: Service, shape: Shape) -> tuple[Service, tuple[EndpointSlice, ...]]:
    address_type, ports = shape
    endpoint = Endpoint(addresses=(_ADDRESS[address_type],), conditions=PLAIN)
    one = EndpointSlice(metadata=ObjectMeta(namespace=service.metadata.namespace, name="stand-in"),
                        address_type=address_type, endpoints=(endpoint,), ports=ports)
    return service, (one,)


def agreeing(behaviours: Sequence[Behaviour], service: Service, shape: Shape) -> tuple[bool, ...]:
    """Per behaviour, whether it routes a Service of this uniform shape exactly like kube-proxy, with no
    effect. Cached per (Service ports, headless, shape): one look-up per Service."""
    key = (service.spec.ports, service.spec.cluster_ip == CLUSTER_IP_NONE, shape)
    known = _agrees.get(key)
    if known is None:
        if len(_agrees) >= _CACHE_MAX:
            _agrees.clear()
        known = _agrees[key] = {}
    missing = [b for b in behaviours if id(b) not in known]   # behaviours are module constants: id is stable
    if missing:
        svc, slices = stand_in(service, shape)
        reference = REFERENCE.behaviours[0].model(svc, slices)
        for b in missing:
            outcome = b.model(svc, slices)
            known[id(b)] = not outcome.reads_slices or (not outcome.effects and outcome.ports == reference.ports)
    return tuple(known[id(b)] for b in behaviours)
