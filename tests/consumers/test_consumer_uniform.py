"""The stand-in shortcut is exact: on uniform Services it says "agrees" exactly when the full models agree."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sliceaudit.api.records import (
    Endpoint,
    EndpointConditions,
    EndpointPort,
    EndpointSlice,
    ObjectMeta,
    Service,
    ServicePort,
    ServiceSpec,
)
from sliceaudit.consumers.registry import CONSUMERS, REFERENCE
from sliceaudit.consumers.uniform import PLAIN, agreeing, uniform_shape

NAMES = st.sampled_from(["", "http", "grpc"])
PROTOCOLS = st.sampled_from(["TCP", "UDP"])
NUMBERS = st.sampled_from([None, 0, 80, 8080, 9090])

service_ports = st.lists(st.builds(ServicePort, name=NAMES, protocol=PROTOCOLS, port=st.sampled_from([80, 8080]),
                                   target_port=st.one_of(st.none(), st.sampled_from([8080, 9090, "http", "web"]))),
                         min_size=1, max_size=2)
slice_ports = st.one_of(st.none(), st.just(()), st.lists(
    st.builds(EndpointPort, name=NAMES, protocol=PROTOCOLS, port=NUMBERS), min_size=1, max_size=3).map(tuple))
ADDRESSES = [f"10.0.0.{i}" for i in range(1, 7)]


@st.composite
def uniform_services(draw):
    ports = draw(service_ports)
    shared = draw(slice_ports)
    address_type = draw(st.sampled_from(["IPv4", "IPv6"]))
    pool = ADDRESSES if address_type == "IPv4" else [f"fd00::{i}" for i in range(1, 7)]
    slices = []
    for i in range(draw(st.integers(1, 3))):
        addresses = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))   # repeats allowed
        slices.append(EndpointSlice(metadata=ObjectMeta(namespace="n", name=f"s{draw(st.integers(0, 9))}{i}"),
                                    address_type=address_type, ports=shared,
                                    endpoints=tuple(Endpoint(addresses=(a,), conditions=PLAIN) for a in addresses)))
    headless = draw(st.booleans())
    service = Service(metadata=ObjectMeta(namespace="n", name="svc"),
                      spec=ServiceSpec(cluster_ip="None" if headless else "10.96.0.1", ports=tuple(ports)))
    return service, slices


@settings(max_examples=300, deadline=None)
@given(uniform_services())
def test_the_stand_in_agrees_exactly_when_the_full_models_agree(case):
    service, slices = case
    shape = uniform_shape(slices)
    assert shape is not None
    reference = REFERENCE.behaviours[0].model(service, slices)
    behaviours = [b for c in CONSUMERS for b in c.behaviours]
    full = [b.model(service, slices) for b in behaviours]
    expected = tuple(not o.reads_slices or (not o.effects and o.ports == reference.ports) for o in full)
    assert agreeing(behaviours, service, shape) == expected


def test_what_is_not_uniform_takes_the_full_path():
    ports = (EndpointPort(name="http", protocol="TCP", port=8080),)

    def one(name, conditions=PLAIN, addresses=("10.0.0.1",), p=ports, address_type="IPv4"):
        return EndpointSlice(metadata=ObjectMeta(name=name), address_type=address_type, ports=p,
                             endpoints=(Endpoint(addresses=addresses, conditions=conditions),))

    assert uniform_shape([one("a"), one("b", addresses=("10.0.0.2",))]) is not None
    assert uniform_shape([one("a", conditions=EndpointConditions())]) is None          # nil ready
    assert uniform_shape([one("a", conditions=None)]) is None
    assert uniform_shape([one("a", addresses=("10.0.0.1", "10.0.0.9"))]) is None       # two addresses
    assert uniform_shape([one("a"), one("b", p=None)]) is None                           # a null-port slice
    assert uniform_shape([one("a", address_type="FQDN")]) is None
    assert uniform_shape([]) is None
