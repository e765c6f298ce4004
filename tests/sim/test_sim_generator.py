"""The generator: deterministic, made the way the EndpointSlice controller makes slices, truthful."""

import json
from collections import Counter

import pytest
from sim_testkit import core_audit, objects_of, without_messages

from sliceaudit.sim.world import breakage
from sliceaudit.sim.world.churn import Churn
from sliceaudit.sim.world.fleet import build_cluster, generate_cluster
from sliceaudit.sim.world.large import large_cluster

CONTROLLER = "endpointslice-controller.k8s.io"


@pytest.fixture(scope="module")
def made():
    return generate_cluster("gen", services=60, seed=11, broken_share=0.25)


def _services(c):
    return {(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in c.objects["Service"]}


def _slices_of(c, ns, name):
    return [s for s in c.objects["EndpointSlice"]
            if s["metadata"]["namespace"] == ns and s["metadata"]["labels"]["kubernetes.io/service-name"] == name]


def _kind(c, kind):
    return [k for k, s in c.sim.services.items() if s.kind == kind]


def test_the_same_seed_gives_the_same_fleet():
    a, b = (generate_cluster("x", services=30, seed=4) for _ in range(2))
    assert json.dumps(a.objects, sort_keys=True) == json.dumps(b.objects, sort_keys=True)
    assert a.truth == b.truth
    c = generate_cluster("x", services=30, seed=5)
    assert json.dumps(a.objects, sort_keys=True) != json.dumps(c.objects, sort_keys=True)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_truth_agrees_with_the_audit_field_by_field(seed):
    c = generate_cluster(f"c{seed}", services=50, seed=seed, broken_share=0.3)
    assert without_messages(core_audit(c.name, c.objects)) == without_messages(c.truth)


@pytest.mark.parametrize("services, share", [(40, 0.0), (40, 0.25), (20, 1.0)])
def test_the_broken_share_is_what_comes_out_broken(services, share):
    c = generate_cluster("share", services=services, seed=2, broken_share=share)
    statuses = Counter(s["status"] for s in c.truth["services"])
    assert len(c.truth["services"]) == services
    assert statuses["degraded"] + statuses["outage"] == round(services * share)


def test_every_object_looks_like_the_api_servers(made):
    for kind, objs in made.objects.items():
        for o in objs:
            meta = o["metadata"]
            assert o["kind"] == kind and o["apiVersion"]
            assert meta["uid"] and meta["resourceVersion"].isdigit() and meta["creationTimestamp"].endswith("Z")
            assert meta["managedFields"][0]["fieldsType"] == "FieldsV1"
            if kind in ("Pod", "ReplicaSet") or (kind == "EndpointSlice" and meta["labels"][
                    "endpointslice.kubernetes.io/managed-by"] == CONTROLLER):
                (ref,) = meta["ownerReferences"]
                assert ref["controller"] is True and ref["uid"]
    uids = [o["metadata"]["uid"] for objs in made.objects.values() for o in objs]
    assert len(uids) == len(set(uids))


def test_pods_run_with_named_ports_and_owners(made):
    rs_owner = {r["metadata"]["name"]: r["metadata"]["ownerReferences"][0]["kind"]
                for r in made.objects["ReplicaSet"]}
    owners = Counter()
    phases = Counter()
    for p in made.objects["Pod"]:
        phases[p["status"]["phase"]] += 1
        assert bool(p["status"].get("podIP")) == (p["status"]["phase"] != "Pending")
        ref = p["metadata"]["ownerReferences"][0]
        owners[rs_owner[ref["name"]] if ref["kind"] == "ReplicaSet" else ref["kind"]] += 1
    assert set(owners) == {"Deployment", "StatefulSet", "DaemonSet", "Job"}
    assert set(phases) == {"Running", "Pending", "Failed", "Succeeded"} and phases["Running"] > 10 * phases["Pending"]
    sidecars = [c for p in made.objects["Pod"] for c in p["spec"].get("initContainers", [])]
    assert sidecars and all(c["restartPolicy"] == "Always" and c["ports"] for c in sidecars)


def test_slices_hold_at_most_100_endpoints_and_split_big_services(made):
    for s in made.objects["EndpointSlice"]:
        assert len(s["endpoints"] or []) <= 100
    big = _kind(made, "big")[0]
    slices = _slices_of(made, *big)
    assert len(slices) >= 2
    assert sum(len(s["endpoints"]) for s in slices) == made.sim.workloads[big].replicas


def test_slice_ports_carry_the_service_port_names(made):
    services = _services(made)
    for s in made.objects["EndpointSlice"]:
        labels = s["metadata"]["labels"]
        if labels["endpointslice.kubernetes.io/managed-by"] != CONTROLLER:
            continue
        svc = services[(s["metadata"]["namespace"], labels["kubernetes.io/service-name"])]
        names = {p.get("name", "") for p in svc["spec"].get("ports", [])}
        assert {p["name"] for p in s["ports"] or []} <= names
        assert s["metadata"]["generateName"] == svc["metadata"]["name"] + "-"
        assert s["metadata"]["ownerReferences"][0]["uid"] == svc["metadata"]["uid"]
    # A targetPort named differently from the Service port: the slice says the Service port's name.
    (key,) = _kind(made, "sidecar")[:1]
    assert {p["name"] for s in _slices_of(made, *key) for p in s["ports"]} == {"http", "metrics"}
    (key,) = _kind(made, "unnamed-port")[:1]
    assert [p["name"] for s in _slices_of(made, *key) for p in s["ports"]] == [""]


def test_pods_lacking_the_named_target_port_land_in_a_null_ports_slice(made):
    (key,) = _kind(made, "split-selector")[:1]
    pods = {p["metadata"]["name"]: p for p in made.objects["Pod"]}
    null = [s for s in _slices_of(made, *key) if s["ports"] is None]
    # One ports: null slice per address type (a dual-stack Service has two).
    assert null and len(null) == len({s["addressType"] for s in null}) and all(s["endpoints"] for s in null)
    target = made.sim.services[key].ports[0].target
    for e in (e for s in null for e in s["endpoints"]):
        pod = pods[e["targetRef"]["name"]]
        declared = {p.get("name") for c in pod["spec"]["containers"] for p in c.get("ports", [])}
        assert target not in declared
        assert e["conditions"] == {"ready": True, "serving": True, "terminating": False}
        assert e["nodeName"] and e["zone"]
    truth = next(s for s in made.truth["services"] if (s["namespace"], s["name"]) == key)
    assert truth["status"] == "degraded" and truth["findings"][0]["code"] == "NULL_PORTS"


def test_a_service_without_pods_gets_one_placeholder_slice(made):
    (key,) = _kind(made, "no-pods")[:1]
    (placeholder,) = _slices_of(made, *key)
    assert placeholder["endpoints"] is None and placeholder["ports"] is None
    truth = next(s for s in made.truth["services"] if (s["namespace"], s["name"]) == key)
    assert (truth["status"], truth["endpoints"], truth["findings"]) == ("ok", 0, [])


def test_headless_without_ports_and_selectorless_hand_made_slices(made):
    (key,) = _kind(made, "headless-noports")[:1]
    slices = _slices_of(made, *key)
    assert slices and all(s["ports"] is None and s["endpoints"] for s in slices)
    assert all(e["hostname"] == e["targetRef"]["name"] for s in slices for e in s["endpoints"])
    assert "service.kubernetes.io/headless" in slices[0]["metadata"]["labels"]
    truth = next(s for s in made.truth["services"] if (s["namespace"], s["name"]) == key)
    assert (truth["status"], truth["null_port_endpoints"]) == ("ok", 0)
    for key in _kind(made, "selectorless"):
        for s in _slices_of(made, *key):
            assert s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] != CONTROLLER
            assert "ownerReferences" not in s["metadata"]


def test_dual_stack_services_get_a_slice_per_family(made):
    (key,) = _kind(made, "dual-stack")[:1]
    assert {s["addressType"] for s in _slices_of(made, *key)} == {"IPv4", "IPv6"}
    truth = next(s for s in made.truth["services"] if (s["namespace"], s["name"]) == key)
    assert any(b.startswith("[") for b in truth["ports"][0]["backends"])


@pytest.mark.parametrize("how, status, code", [
    ("null-ports", "degraded", "NULL_PORTS"), ("outage", "outage", "NULL_PORTS"),
    ("port-missing", "degraded", "PORT_MISSING"), ("port-unset", None, "PORT_UNSET"),
    ("port-zero", None, "PORT_ZERO"), ("drain", "degraded", "TERMINATING_ONLY"),
])
def test_break_and_fix_each_way(how, status, code):
    sim = build_cluster("bf", services=40, seed=8, broken_share=0)
    # A Service with pods running (a canary beside none is an outage, not a degradation).
    key = next(k for k, s in sorted(sim.services.items()) if how in breakage.applicable(sim, s)
               and (not s.selector or any(w.replicas for w in breakage.selected_workloads(sim, s))))
    breakage.break_service(sim, sim.services[key], how)
    sim.reconcile()
    truth = next(s for s in sim.truth()["services"] if (s["namespace"], s["name"]) == key)
    assert truth["status"] == status if status else truth["status"] in ("degraded", "outage")
    assert code in [f["code"] for f in truth["findings"]]
    assert without_messages(core_audit("bf", objects_of(sim))) == without_messages(sim.truth())
    with pytest.raises(breakage.CannotBreak):
        breakage.break_service(sim, sim.services[key], how)
    breakage.fix_service(sim, sim.services[key])
    sim.reconcile()
    truth = next(s for s in sim.truth()["services"] if (s["namespace"], s["name"]) == key)
    # FQDN_SLICE is informational: a Service that also has an FQDN slice keeps that finding.
    assert (truth["status"], [f for f in truth["findings"] if f["code"] != "FQDN_SLICE"]) == ("ok", [])


def test_churn_keeps_the_truth_right_through_rollouts_and_scaling():
    sim = build_cluster("churn", services=25, seed=9, broken_share=0.2)
    churn = Churn(sim, seed=1)
    for _ in range(30):
        churn.step()
        sim.reconcile()
        assert without_messages(core_audit("churn", objects_of(sim))) == without_messages(sim.truth())
    kinds = Counter(what.split()[0] for what in churn.log)
    assert kinds["rollout"] and kinds["scale"] and (kinds["break"] or kinds["fix"])
    terminating = [p for p in sim.pods() if p.terminating]
    not_ready = [p for p in sim.pods() if not p.ready and not p.terminating]
    assert terminating or not_ready  # transitions in flight, as the watch would see them


def test_large_cluster_is_many_small_controller_slices():
    c = large_cluster("big", slices=120, endpoints=25, broken_every=10)
    slices = c.objects["EndpointSlice"]
    assert len(slices) >= 120 and all(len(s["endpoints"] or []) <= 25 for s in slices)
    assert sum(1 for s in c.truth["services"] if s["status"] != "ok") == 3
    assert without_messages(core_audit("big", c.objects)) == without_messages(c.truth)
