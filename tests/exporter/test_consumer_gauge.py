"""--consumer in the exporter: a broken-backends gauge per Service and declared consumer, bounded series."""

from __future__ import annotations

from pathlib import Path

import pytest
from exporter_testkit import endpoint_slice, event, record
from test_state import SERVICES, SLICES, exposition, listed, samples

from exporter.config import parse_consumers
from exporter.metrics.families import SERVICE_FAMILIES
from sliceaudit.api.snapshot import Snapshot
from sliceaudit.audit.cluster import audit_cluster
from sliceaudit.consumers.detect import ConsumerFlagError

# Skipper v0.21.146 reads ports: null as port 0 and applies the last slice's ports to every endpoint;
# v0.21.150 skips port-less slices (sliceaudit/consumers/skipper.py cites the source it follows);
# Traefik without a version: every behaviour it may have, the gauge shows the worst.
DECLARED = ("skipper@v0.21.146", "skipper@v0.21.150", "traefik")

# objects in (test_state.SERVICES/SLICES), exposition text out: regenerate only on purpose.
GOLDEN = (Path(__file__).parent / "golden" / "small-cluster-consumers.prom").read_text()


def broken(got, ns: str, svc: str, consumer: str, version: str):
    return got.get(("sliceaudit_consumer_broken_backends",
                    (("cluster", "prod-eu-1"), ("consumer", consumer), ("namespace", ns), ("service", svc),
                     ("version", version))))


def test_golden_exposition_with_declared_consumers():
    assert exposition(listed(consumers=parse_consumers(DECLARED))) == GOLDEN


def test_gauge_counts_the_wrong_backends_of_the_audits_impact():
    consumers = parse_consumers(DECLARED)
    report = audit_cluster("prod-eu-1", Snapshot.of([record(o) for o in SERVICES + SLICES]), list(consumers))
    got = samples(listed(consumers=consumers))
    for svc in report.services:
        for present in consumers:
            version = str(present.version or "unknown")
            wrong = max([len({(p.name, b) for p in i.ports for b in p.wrong}) for i in svc.impact
                         if (i.consumer, i.version) == (present.consumer.name, version)], default=0)
            assert broken(got, svc.namespace, svc.name, present.consumer.name, version) == wrong
    assert broken(got, "shop", "api", "skipper", "v0.21.146") == 3     # every pod at ip:0
    assert broken(got, "shop", "api", "skipper", "v0.21.150") == 0     # the fix
    assert broken(got, "shop", "web", "skipper", "v0.21.146") == 0     # healthy Service: a 0 series


def test_no_consumer_declared_no_consumer_series():
    got = samples(listed())
    assert not [n for n, _ in got if n == "sliceaudit_consumer_broken_backends"]


def test_series_per_service_are_the_service_families_plus_one_per_declared_consumer():
    got = samples(listed(consumers=parse_consumers(DECLARED)))
    per_service = [n for n, _ in got if n.startswith("sliceaudit_") and not n.startswith(
        ("sliceaudit_cluster", "sliceaudit_watch", "sliceaudit_objects", "sliceaudit_series", "sliceaudit_scrape"))]
    assert len(per_service) == len(SERVICES) * (len(SERVICE_FAMILIES) + len(DECLARED))


def test_the_cap_counts_consumer_series():
    per_service = len(SERVICE_FAMILIES) + len(DECLARED)
    state = listed(max_series=2 * per_service, consumers=parse_consumers(DECLARED))  # two Services
    got = samples(state)
    kept = {dict(labels)["service"] for (name, labels) in got if name == "sliceaudit_consumer_broken_backends"}
    assert kept == {"api", "legacy"}  # the two in outage
    assert got[("sliceaudit_series_cut_total", (("cluster", "prod-eu-1"),))] == 3 * per_service


def test_a_fix_brings_the_gauge_back_to_zero():
    state = listed(consumers=parse_consumers(("skipper@v0.21.146",)))
    assert broken(samples(state), "shop", "api", "skipper", "v0.21.146") == 3
    fixed = endpoint_slice("shop", "api-a", "api", ["10.0.1.1", "10.0.1.2", "10.0.1.3"], rv="2")
    state.apply_event("EndpointSlice", event("MODIFIED", fixed))
    assert broken(samples(state), "shop", "api", "skipper", "v0.21.146") == 0


def test_repeated_consumers_count_once_and_unknown_ones_are_refused():
    assert len(parse_consumers(("skipper@v0.21.146", "Skipper@v0.21.146", "skipper"))) == 2
    with pytest.raises(ConsumerFlagError, match="unknown consumer"):
        parse_consumers(("nginx-plus",))
