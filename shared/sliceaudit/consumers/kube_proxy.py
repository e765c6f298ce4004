"""kube-proxy, the reference: what the audit's own port resolution says (core/resolve.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sliceaudit.consumers.model import Behaviour, Consumer, Outcome
from sliceaudit.consumers.reading import routes
from sliceaudit.consumers.versions import VersionRange, v
from sliceaudit.core.records import EndpointSlice, Service
from sliceaudit.core.resolve import resolve_port, serving_addresses

SOURCE = "kubernetes pkg/proxy/endpointslicecache.go (via sliceaudit core/resolve.py)"


def model(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    serving = serving_addresses(slices)
    return Outcome(tuple(routes(p, resolve_port(p, slices, serving).backends()) for p in service.ports))


CONSUMER = Consumer(
    name="kube-proxy",
    title="kube-proxy",
    images=("kube-proxy",),
    behaviours=(Behaviour("all", (VersionRange(since=v("1.19.0")),), model, SOURCE),),
    note="the reference every other consumer is compared with",
)
