"""The one list of modelled consumers: add a module, then one line here."""

from __future__ import annotations

from sliceaudit.consumers import (
    cilium,
    contour,
    coredns,
    envoy_gateway,
    haproxy,
    ingress_nginx,
    istio,
    kong,
    kube_proxy,
    linkerd,
    skipper,
    traefik,
)
from sliceaudit.consumers.model import Consumer

REFERENCE = kube_proxy.CONSUMER

CONSUMERS: tuple[Consumer, ...] = (
    kube_proxy.CONSUMER,
    skipper.CONSUMER,
    ingress_nginx.CONSUMER,
    traefik.CONSUMER,
    linkerd.CONSUMER,
    istio.CONSUMER,
    envoy_gateway.CONSUMER,
    contour.CONSUMER,
    cilium.CONSUMER,
    coredns.CONSUMER,
    haproxy.CONSUMER,
    kong.CONSUMER,
)

BY_NAME: dict[str, Consumer] = {c.name: c for c in CONSUMERS}
