"""Objects in, exposition text out: the exporter's held state and what a scrape shows of it."""

from __future__ import annotations

import threading
from pathlib import Path

import msgspec
import pytest
from exporter_testkit import endpoint_slice, event, record, service
from prometheus_client.parser import text_string_to_metric_families

from exporter.collector import render
from exporter.compact import compact_service, compact_slice, expand_slice
from exporter.metrics.families import (
    ENDPOINTS,
    NULL_PORT_ENDPOINTS,
    PORT_ZERO_ENDPOINTS,
    SERVICE_FAMILIES,
    SERVICE_OUTAGE,
)
from exporter.state import ClusterState
from sliceaudit.api.records import EndpointSlice, Service
from sliceaudit.api.snapshot import Snapshot
from sliceaudit.audit.cluster import audit_cluster, audit_service

NOW = 1_700_000_000.0

SERVICES = [
    service("shop", "web"),                                        # healthy
    service("shop", "api"),                                        # every pod in a ports: null slice
    service("shop", "search"),                                     # mixed: degraded
    service("ops", "legacy", ports=(("db", 5432, 5432),)),         # hand-made slice, port without number
    service("ops", "dns", ports=()),                               # headless: ports null is expected
]
SLICES = [
    endpoint_slice("shop", "web-a", "web", ["10.0.0.1", "10.0.0.2"]),
    endpoint_slice("shop", "api-a", "api", ["10.0.1.1", "10.0.1.2", "10.0.1.3"], ports=None),
    endpoint_slice("shop", "search-a", "search", ["10.0.2.1"]),
    endpoint_slice("shop", "search-b", "search", ["10.0.2.2", "10.0.2.3"], ports=None),
    endpoint_slice("ops", "legacy-a", "legacy", ["10.0.3.1"], ports=(("db", None),)),
    endpoint_slice("ops", "dns-a", "dns", ["10.0.4.1"], ports=None),
    endpoint_slice("ops", "orphan", None, ["10.0.5.1"]),            # belongs to no Service: no series
]

# objects in (above), exposition text out: regenerate only on purpose, and read the diff.
GOLDEN = (Path(__file__).parent / "golden" / "small-cluster.prom").read_text()


def listed(name: str = "prod-eu-1", services=SERVICES, slices=SLICES, **kw) -> ClusterState:
    state = ClusterState(name, clock=lambda: NOW, **kw)
    state.apply_list("Service", [record(o) for o in services])
    state.apply_list("EndpointSlice", [record(o) for o in slices])
    return state


def exposition(*states: ClusterState) -> str:
    text = render(states).decode()
    head, duration = text.rsplit("\n", 2)[0:2]
    assert duration.startswith("sliceaudit_scrape_duration_seconds ")
    return head + "\n"


def samples(*states: ClusterState) -> dict[tuple[str, tuple], float]:
    """Every sample, parsed back with prometheus_client's own parser."""
    out = {}
    for family in text_string_to_metric_families(render(states).decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def gauge(state_or_samples, name: str, ns: str, svc: str, cluster: str = "prod-eu-1"):
    got = state_or_samples if isinstance(state_or_samples, dict) else samples(state_or_samples)
    return got.get((name, (("cluster", cluster), ("namespace", ns), ("service", svc))))


def test_golden_exposition():
    assert exposition(listed()) == GOLDEN


def test_numbers_agree_with_the_audit_of_the_whole_cluster():
    report = audit_cluster("prod-eu-1", Snapshot.of([record(o) for o in SERVICES + SLICES]))
    got = samples(listed())
    for svc in report.services:
        expected = {"sliceaudit_endpoints": svc.endpoints,
                    "sliceaudit_null_port_endpoints": svc.null_port_endpoints,
                    "sliceaudit_port_zero_endpoints": svc.port_zero_endpoints,
                    "sliceaudit_service_outage": int(svc.status == "outage"),
                    "sliceaudit_service_terminating_only": int(any(f.code == "TERMINATING_ONLY"
                                                                   for f in svc.findings))}
        for name, value in expected.items():
            assert gauge(got, name, svc.namespace, svc.name) == value, (name, svc.name)


def test_exposition_passes_promtool_check_metrics():
    import shutil
    import subprocess

    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (scripts/install-tools.sh)")
    proc = subprocess.run([promtool, "check", "metrics"], input=render([listed()]), capture_output=True,
                          timeout=30, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# (event type, object) steps, then the gauges expected for shop/web afterwards.
EVENT_STEPS = [
    ("a slice turns ports: null",
     [("MODIFIED", endpoint_slice("shop", "web-a", "web", ["10.0.0.1", "10.0.0.2"], ports=None, rv="2"))],
     {"sliceaudit_endpoints": 2, "sliceaudit_null_port_endpoints": 2, "sliceaudit_service_outage": 1}),
    ("a second, healthy slice appears",
     [("ADDED", endpoint_slice("shop", "web-b", "web", ["10.0.0.3"], rv="3"))],
     {"sliceaudit_endpoints": 3, "sliceaudit_null_port_endpoints": 2, "sliceaudit_service_outage": 0}),
    ("the broken slice is fixed",
     [("MODIFIED", endpoint_slice("shop", "web-a", "web", ["10.0.0.1", "10.0.0.2"], rv="4"))],
     {"sliceaudit_endpoints": 3, "sliceaudit_null_port_endpoints": 0, "sliceaudit_service_outage": 0}),
    ("a slice is deleted",
     [("DELETED", endpoint_slice("shop", "web-b", "web", ["10.0.0.3"], rv="5"))],
     {"sliceaudit_endpoints": 2, "sliceaudit_null_port_endpoints": 0, "sliceaudit_service_outage": 0}),
    ("a slice with port 0",
     [("ADDED", endpoint_slice("shop", "web-c", "web", ["10.0.0.9"], ports=(("http", 0),), rv="6"))],
     {"sliceaudit_endpoints": 3, "sliceaudit_port_zero_endpoints": 1, "sliceaudit_service_outage": 0}),
    ("a slice moves to another Service",
     [("MODIFIED", endpoint_slice("shop", "web-c", "search", ["10.0.0.9"], ports=(("http", 0),), rv="7"))],
     {"sliceaudit_endpoints": 2, "sliceaudit_port_zero_endpoints": 0}),
]


def test_events_update_only_what_they_touch_and_agree_with_a_full_audit():
    state = listed()
    objects = {(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o for o in SERVICES + SLICES}
    for what, steps, expected in EVENT_STEPS:
        before = state.values()
        for type_, obj in steps:
            state.apply_event(obj["kind"], event(type_, obj))
            key = (obj["kind"], obj["metadata"]["namespace"], obj["metadata"]["name"])
            if type_ == "DELETED":
                objects.pop(key)
            else:
                objects[key] = obj
        got = samples(state)
        for name, value in expected.items():
            assert gauge(got, name, "shop", "web") == value, (what, name)
        after = state.values()
        # Services no step touched keep their numbers.
        for key in (("ops", "dns"), ("ops", "legacy"), ("shop", "api")):
            assert after[key] == before[key], what
        report = audit_cluster("x", Snapshot.of([record(o) for o in objects.values()]))
        for svc in report.services:
            v = after[(svc.namespace, svc.name)]
            assert (v.of(ENDPOINTS), v.of(NULL_PORT_ENDPOINTS), v.of(PORT_ZERO_ENDPOINTS)) == \
                (svc.endpoints, svc.null_port_endpoints, svc.port_zero_endpoints), (what, svc.name)


def test_a_deleted_service_loses_its_series_at_the_next_scrape():
    state = listed()
    assert gauge(state, "sliceaudit_service_outage", "shop", "api") == 1
    state.apply_event("Service", event("DELETED", service("shop", "api")))
    got = samples(state)
    assert all(("service", "api") not in labels for (_, labels) in got)
    assert gauge(got, "sliceaudit_endpoints", "shop", "web") == 2
    # Its slices, still held until the controller deletes them, bring nothing back.
    state.apply_event("EndpointSlice", event("MODIFIED", endpoint_slice("shop", "api-a", "api", ["10.0.1.1"],
                                                                        ports=None, rv="9")))
    assert gauge(state, "sliceaudit_endpoints", "shop", "api") is None


def test_a_new_service_gets_series_at_zero_when_healthy():
    state = listed()
    state.apply_event("Service", event("ADDED", service("shop", "cart")))
    got = samples(state)
    for name in ("sliceaudit_endpoints", "sliceaudit_null_port_endpoints", "sliceaudit_port_zero_endpoints",
                 "sliceaudit_service_outage"):
        assert gauge(got, name, "shop", "cart") == 0


def test_no_service_series_before_every_resource_has_listed():
    state = ClusterState("prod-eu-1", clock=lambda: NOW)
    state.apply_list("Service", [record(o) for o in SERVICES])
    got = samples(state)
    assert not any(name == "sliceaudit_endpoints" for name, _ in got)
    assert got[("sliceaudit_cluster_up", (("cluster", "prod-eu-1"),))] == 0
    assert not state.synced


def test_relist_replaces_state_and_recomputes_what_changed():
    state = listed()
    # The API server lost our watch: the relist shows web broken, search gone, a new Service.
    services = [s for s in SERVICES if s["metadata"]["name"] != "search"] + [service("shop", "cart")]
    slices = [endpoint_slice("shop", "web-a", "web", ["10.0.0.1", "10.0.0.2"], ports=None, rv="2")] + \
        [s for s in SLICES if s["metadata"]["name"] not in ("web-a", "search-a", "search-b")]
    state.apply_list("Service", [record(o) for o in services])
    state.apply_list("EndpointSlice", [record(o) for o in slices])
    got = samples(state)
    assert gauge(got, "sliceaudit_service_outage", "shop", "web") == 1
    assert gauge(got, "sliceaudit_endpoints", "shop", "search") is None
    assert gauge(got, "sliceaudit_endpoints", "shop", "cart") == 0
    assert gauge(got, "sliceaudit_service_outage", "shop", "api") == 1


def test_a_scrape_during_a_relist_never_sees_the_cluster_empty():
    services = [service("ns", f"svc-{i}") for i in range(3000)]
    slices = [endpoint_slice("ns", f"svc-{i}-a", f"svc-{i}", [f"10.1.{i // 250}.{i % 250}"]) for i in range(3000)]
    state = listed(services=services, slices=slices)
    relisted = [record(endpoint_slice("ns", f"svc-{i}-a", f"svc-{i}", [f"10.1.{i // 250}.{i % 250}"],
                                      ports=None if i % 2 else (("http", 8080),), rv="2"))
                for i in range(3000)]
    counts: list[int] = []
    done = threading.Event()

    def scrape():
        while not done.is_set():
            counts.append(state.service_blocks()[0].count(b"\n"))

    t = threading.Thread(target=scrape)
    t.start()
    try:
        for _ in range(3):
            state.apply_list("Service", [record(o) for o in services])
            state.apply_list("EndpointSlice", relisted)
    finally:
        done.set()
        t.join()
    assert counts and set(counts) == {3000}
    assert sum(v.of(SERVICE_OUTAGE) for v in state.values().values()) == 1500


def test_series_cap_keeps_unhealthy_services_first_and_counts_what_it_cuts():
    per_service = len(SERVICE_FAMILIES)
    state = listed(max_series=2 * per_service)  # two Services' series
    got = samples(state)
    kept = {labels[2][1] for (name, labels) in got if name == "sliceaudit_service_outage"}
    assert kept == {"api", "legacy"}  # the two in outage
    assert got[("sliceaudit_series_cut_total", (("cluster", "prod-eu-1"),))] == 3 * per_service
    got = samples(state)
    assert got[("sliceaudit_series_cut_total", (("cluster", "prod-eu-1"),))] == 6 * per_service  # per scrape


def test_no_cap_cuts_nothing():
    state = listed(max_series=0)
    got = samples(state)
    assert len([1 for name, _ in got if name == "sliceaudit_endpoints"]) == 5
    assert got[("sliceaudit_series_cut_total", (("cluster", "prod-eu-1"),))] == 0


def test_label_values_are_escaped():
    state = listed(name='odd "name"\\x')
    text = exposition(state)
    assert 'cluster="odd \\"name\\"\\\\x"' in text
    got = samples(state)
    assert gauge(got, "sliceaudit_endpoints", "shop", "web", cluster='odd "name"\\x') == 2


def test_restarts_failures_and_rejections_show_per_cluster():
    state = listed()
    state.note_restart("EndpointSlice", failed=False)
    state.note_rejected("Service", 2)
    got = samples(state)
    assert got[("sliceaudit_cluster_up", (("cluster", "prod-eu-1"),))] == 1
    assert got[("sliceaudit_watch_restarts_total", (("cluster", "prod-eu-1"), ("resource", "endpointslices")))] == 1
    assert got[("sliceaudit_objects_rejected_total", (("cluster", "prod-eu-1"), ("resource", "services")))] == 2
    state.note_restart("Service", failed=True)
    assert samples(state)[("sliceaudit_cluster_up", (("cluster", "prod-eu-1"),))] == 0
    # The next list or event proves the watch healthy again; gauges were kept meanwhile.
    state.apply_event("Service", event("MODIFIED", service("shop", "web", rv="5")))
    got = samples(state)
    assert got[("sliceaudit_cluster_up", (("cluster", "prod-eu-1"),))] == 1
    assert gauge(got, "sliceaudit_service_outage", "shop", "api") == 1


def test_an_accepted_watch_counts_as_a_sync_on_a_quiet_cluster():
    ticks = iter([NOW, NOW, NOW + 240])
    state = ClusterState("c", clock=lambda: next(ticks))
    state.apply_list("Service", [])
    state.apply_list("EndpointSlice", [])
    state.note_failure("Service")
    assert samples(state)[("sliceaudit_cluster_up", (("cluster", "c"),))] == 0
    state.note_contact("Service")  # the watch reconnected from its last resourceVersion, no event since
    got = samples(state)
    assert got[("sliceaudit_cluster_last_sync_timestamp_seconds", (("cluster", "c"),))] == NOW + 240
    assert got[("sliceaudit_cluster_up", (("cluster", "c"),))] == 1


def test_a_simulated_cluster_matches_its_ground_truth():
    from sliceaudit.sim.world.fleet import generate_cluster

    sim = generate_cluster("sim-1", services=120, seed=7, broken_share=0.3)
    state = listed("sim-1", services=sim.objects["Service"], slices=sim.objects["EndpointSlice"])
    got = samples(state)
    assert len([1 for name, _ in got if name == "sliceaudit_endpoints"]) == len(sim.truth["services"])
    for svc in sim.truth["services"]:
        ns, name = svc["namespace"], svc["name"]
        assert gauge(got, "sliceaudit_endpoints", ns, name, "sim-1") == svc["endpoints"]
        assert gauge(got, "sliceaudit_null_port_endpoints", ns, name, "sim-1") == svc["null_port_endpoints"]
        assert gauge(got, "sliceaudit_port_zero_endpoints", ns, name, "sim-1") == svc["port_zero_endpoints"]
        assert gauge(got, "sliceaudit_service_outage", ns, name, "sim-1") == (svc["status"] == "outage")


# --- the held (compact) form audits exactly like the records it came from -------------------------

CORE_GOLDEN = sorted((Path(__file__).parents[1] / "audit" / "golden").glob("*.yaml"))


def _held_and_records(path: Path):
    import yaml

    from sliceaudit.api.decode import decode_documents

    objects = yaml.safe_load(path.read_text())["objects"]
    records, _ = decode_documents((f"objects[{i}]", o) for i, o in enumerate(objects))
    services = [r for r in records if isinstance(r, Service)]
    slices = [r for r in records if isinstance(r, EndpointSlice)]
    return services, slices


@pytest.mark.parametrize("path", CORE_GOLDEN, ids=[p.stem for p in CORE_GOLDEN])
def test_held_copies_give_the_same_full_report_as_the_records(path):
    """Every field of every Service's report (findings, messages, backends), not only the gauges."""
    services, slices = _held_and_records(path)
    for svc in services:
        mine = [s for s in slices if s.metadata.namespace == svc.metadata.namespace
                and s.service_name == svc.metadata.name]
        want = audit_service(svc, mine)
        got = audit_service(compact_service(svc), [expand_slice(compact_slice(s)) for s in mine])
        assert msgspec.to_builtins(got) == msgspec.to_builtins(want), svc.metadata.name


# addresses as they come, and what a held copy must give back: the very same strings
ODD_ADDRESSES = [
    ("IPv4", ["10.0.0.1", "10.0.0.2"]),
    ("IPv4", ["010.0.0.1", "10.0.0.2"]),          # leading zero: not the canonical text of any packing
    ("IPv4", ["10.0.0.1", None]),                 # an endpoint without addresses
    ("IPv6", ["2001:db8::1", "fd00::a"]),
    ("IPv6", ["2001:DB8::1"]),                    # upper case
    ("IPv6", ["2001:db8:0:0::1"]),                # not compressed
    ("FQDN", ["api.example.com"]),
]


@pytest.mark.parametrize(("address_type", "addresses"), ODD_ADDRESSES)
def test_held_first_addresses_come_back_exactly(address_type, addresses):
    obj = endpoint_slice("ns", "s", "svc", [a or "" for a in addresses])
    obj["addressType"] = address_type
    for e, a in zip(obj["endpoints"], addresses):
        if a is None:
            e["addresses"] = []
    back = expand_slice(compact_slice(record(obj)))
    assert [e.address for e in back.endpoints] == addresses
    assert back.address_type == address_type


CONDITIONS = [None, {}, {"ready": False}, {"ready": True, "serving": False, "terminating": True},
              {"serving": True}, {"terminating": False}]


def test_held_conditions_keep_absent_apart_from_false():
    obj = endpoint_slice("ns", "s", "svc", [f"10.0.0.{i}" for i in range(len(CONDITIONS))])
    for e, c in zip(obj["endpoints"], CONDITIONS):
        if c is None:
            del e["conditions"]
        else:
            e["conditions"] = c
    original = record(obj)
    back = expand_slice(compact_slice(original))
    assert [e.conditions for e in back.endpoints] == [e.conditions for e in original.endpoints]
