"""kube-proxy, the reference: what the audit's own port resolution says (core/resolve.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sliceaudit.consumers.model import Behaviour, Consumer, Outcome
from sliceaudit.consumers.reading import routes
from sliceaudit.consumers.versions import VersionRange, v
from sliceaudit.core.records import EndpointSlice, Service
from sliceaudit.core.resolve import resolve

SOURCE = "kubernetes pkg/proxy/endpointslicecache.go (via sliceaudit core/resolve.py)"


def model(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    resolution = resolve(service.ports, slices)
    return Outcome(tuple(routes(r.port, r.backend_labels()) for r in resolution.ports))


CONSUMER = Consumer(
    name="kube-proxy",
    title="kube-proxy",
    images=("kube-proxy",),
    behaviours=(Behaviour("all", (VersionRange(since=v("1.19.0")),), model, SOURCE),),
    note="the reference every other consumer is compared with",
)
