"""Detection: workload images -> consumers with versions; `--consumer NAME[@VERSION]`."""

from __future__ import annotations

import msgspec
import pytest

from sliceaudit.api.records import DaemonSet, Deployment, StatefulSet
from sliceaudit.consumers.detect import ConsumerFlagError, detect, parse_consumer, parse_image
from sliceaudit.consumers.versions import parse_version


def workload(kind, namespace, name, *images, init=()):
    return msgspec.convert({
        "metadata": {"namespace": namespace, "name": name},
        "spec": {"template": {"spec": {"containers": [{"name": f"c{i}", "image": im} for i, im in enumerate(images)],
                                       "initContainers": [{"name": "init", "image": im} for im in init]}}},
    }, {"Deployment": Deployment, "DaemonSet": DaemonSet, "StatefulSet": StatefulSet}[kind])


@pytest.mark.parametrize("image,consumer,version,behaviours", [
    # The incident's Skipper, and the fix.
    ("registry.opensource.zalan.do/teapot/skipper:v0.21.146", "skipper", "v0.21.146", ["<= v0.21.149"]),
    ("registry.opensource.zalan.do/teapot/skipper:v0.21.150", "skipper", "v0.21.150", [">= v0.21.150"]),
    # A tag with a digest: the tag still names the version.
    ("registry.k8s.io/ingress-nginx/controller:v1.4.0@sha256:" + "a" * 64, "ingress-nginx", "v1.4.0", ["v1.4.x"]),
    ("registry.k8s.io/ingress-nginx/controller:v1.6.4", "ingress-nginx", "v1.6.4", ["v1.5.1 to v1.6.x"]),
    # A digest alone, or latest: version unknown, every behaviour is possible.
    ("registry.k8s.io/ingress-nginx/controller@sha256:" + "b" * 64, "ingress-nginx", None,
     ["v1.4.x", "v1.5.1 to v1.6.x", ">= v1.7.0"]),
    ("traefik:latest", "traefik", None, ["v3.1.0 to v3.6.22, v3.7.0 to v3.7.6", ">= v3.6.23 (v3.7.7)"]),
    # A minor-only tag spans its patch releases: 3.6 may be before or after the fix.
    ("docker.io/library/traefik:3.6", "traefik", "v3.6", ["v3.1.0 to v3.6.22, v3.7.0 to v3.7.6",
                                                         ">= v3.6.23 (v3.7.7)"]),
    ("traefik:v3.7.7", "traefik", "v3.7.7", [">= v3.6.23 (v3.7.7)"]),
    # Before Traefik read slices: no modelled behaviour (it reads the Endpoints API).
    ("traefik:v2.11.0", "traefik", "v2.11.0", []),
    ("cr.l5d.io/linkerd/controller:stable-2.14.10", "linkerd", "stable-2.14.10", ["stable-2.12+"]),
    ("docker.io/istio/pilot:1.22.3", "istio", "v1.22.3", [">= 1.19 (slices only)"]),
    ("quay.io/cilium/cilium:v1.15.5@sha256:" + "c" * 64, "cilium", "v1.15.5", ["all (slices preferred)"]),
    ("registry.k8s.io/coredns/coredns:v1.11.1", "coredns", "v1.11.1", [">= v1.8.1"]),
    ("haproxytech/kubernetes-ingress:3.0.1", "haproxy-ingress", "v3.0.1", ["all (when discovery/v1 exists)"]),
    ("kong/kubernetes-ingress-controller:3.2", "kong", "v3.2", [">= v2.10.0"]),
    ("docker.io/envoyproxy/gateway:v1.3.0", "envoy-gateway", "v1.3.0", ["all (slices only)"]),
    ("ghcr.io/projectcontour/contour:v1.30.0", "contour", "v1.30.0", [">= v1.29 (slices by default)"]),
])
def test_images_name_consumers_and_versions(image, consumer, version, behaviours):
    (present,) = detect([workload("Deployment", "edge", "proxy", image)])
    assert present.consumer.name == consumer
    assert (str(present.version) if present.version else None) == version
    assert [b.label for b in present.behaviours] == behaviours
    assert present.found_in == (f"Deployment edge/proxy ({image})",)


def test_other_images_are_no_consumers():
    ws = [workload("Deployment", "shop", "web", "nginx:1.27", "envoyproxy/envoy:v1.31.2",
                   "quay.io/cilium/operator:v1.15"),
          workload("StatefulSet", "db", "pg", "postgres:16.2")]
    assert detect(ws) == []


def test_one_entry_per_consumer_version_with_every_place_it_runs():
    ws = [workload("Deployment", "a", "ingress", "registry.k8s.io/ingress-nginx/controller:v1.9.4"),
          workload("Deployment", "b", "ingress", "registry.k8s.io/ingress-nginx/controller:v1.9.4"),
          workload("DaemonSet", "kube-system", "cilium", "quay.io/cilium/cilium:v1.15.5",
                   init=("quay.io/cilium/cilium:v1.15.5",)),
          workload("Deployment", "c", "ingress", "registry.k8s.io/ingress-nginx/controller:v1.4.0")]
    found = [(p.consumer.name, str(p.version), len(p.found_in)) for p in detect(ws)]
    assert found == [("cilium", "v1.15.5", 1), ("ingress-nginx", "v1.4.0", 1), ("ingress-nginx", "v1.9.4", 2)]


@pytest.mark.parametrize("image", ["", "a b", "x" * 600, "@sha256:abc", ":tag"])
def test_what_is_no_image_reference_is_skipped(image):
    assert parse_image(image) is None or detect([workload("Deployment", "n", "w", image)]) == []


@pytest.mark.parametrize("tag,low,high", [
    ("v0.21.150", (0, 21, 150), (0, 21, 151)),
    ("1.11", (1, 11, 0), (1, 12, 0)),
    ("controller-v1.9.4", (1, 9, 4), (1, 9, 5)),
    ("v3.6.23-alpine", (3, 6, 23), (3, 6, 24)),
    ("3", (3, 0, 0), (4, 0, 0)),
])
def test_tags_parse_to_the_releases_they_stand_for(tag, low, high):
    version = parse_version(tag)
    assert (version.low, version.high) == (low, high)


@pytest.mark.parametrize("tag", ["latest", "main", "", "sha256", "x" * 200])
def test_tags_without_a_version(tag):
    assert parse_version(tag) is None


def test_consumer_flag():
    declared = parse_consumer("skipper@v0.21.146")
    assert (declared.consumer.name, str(declared.version)) == ("skipper", "v0.21.146")
    assert declared.found_in == ("--consumer",)
    assert [b.label for b in declared.behaviours] == ["<= v0.21.149"]
    assert parse_consumer("Traefik").version is None


@pytest.mark.parametrize("text,says", [
    ("envoy@1.0", "unknown consumer (known: cilium, contour"),
    ("skipper@latest", "'latest' is not a version"),
    ("", "unknown consumer"),
])
def test_consumer_flag_errors_name_what_was_wrong(text, says):
    with pytest.raises(ConsumerFlagError) as e:
        parse_consumer(text)
    assert says in str(e.value) and "\n" not in str(e.value)
