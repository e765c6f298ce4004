"""The simulated fleet in every state the controller has a rule for, and its slices as the controller
model writes them (the served slices are a fixed point of a fresh controller pass)."""

import pytest
from sim_testkit import core_audit, objects_of, without_messages

from sliceaudit.api.objects import decode
from sliceaudit.controller import endpointslice, mirroring
from sliceaudit.sim.world import render
from sliceaudit.sim.world.churn import Churn
from sliceaudit.sim.world.fleet import build_cluster, generate_cluster

MIRROR = "endpointslicemirroring-controller.k8s.io"


@pytest.fixture(scope="module")
def made():
    return generate_cluster("states", services=60, seed=21, broken_share=0.2)


def _of(made, kind):
    keys = [k for k, s in made.sim.services.items() if s.kind == kind]
    assert keys, f"the fleet has no {kind} Service"
    return keys


def _slices(made, ns, name):
    return [s for s in made.objects["EndpointSlice"] if s["metadata"]["namespace"] == ns
            and s["metadata"]["labels"]["kubernetes.io/service-name"] == name]


def _truth(made, key):
    return next(s for s in made.truth["services"] if (s["namespace"], s["name"]) == key)


def _targets(slices):
    return {e["targetRef"]["name"]: e["conditions"] for s in slices for e in s["endpoints"] or ()}


def test_served_slices_are_what_a_fresh_controller_pass_leaves_alone(made):
    objs = made.objects
    nodes = {n: decode("Node", render.node(n, z)) for n, z in made.sim.nodes}
    pods = [decode("Pod", p) for p in objs["Pod"]]
    endpoints = {(e["metadata"]["namespace"], e["metadata"]["name"]): decode("Endpoints", e)
                 for e in objs["Endpoints"]}
    served = {}
    for s in objs["EndpointSlice"]:
        served.setdefault((s["metadata"]["namespace"], s["metadata"]["labels"]["kubernetes.io/service-name"]),
                          []).append(decode("EndpointSlice", s))
    never = lambda prefix: pytest.fail(f"a steady state creates no slice ({prefix})")  # noqa: E731
    for raw in objs["Service"]:
        svc = decode("Service", raw)
        key = (svc.metadata.namespace, svc.metadata.name)
        mine = [s for s in served.get(key, []) if s.metadata.labels.get("endpointslice.kubernetes.io/managed-by")
                in (endpointslice.CONTROLLER, MIRROR)]
        if key in endpoints:
            again = mirroring.mirror(endpoints[key], svc, mine, never)
        else:
            again = endpointslice.reconcile(svc, pods, nodes, mine, never)
        strip = lambda slices: sorted((s.metadata.name, s.address_type, s.ports, s.endpoints) for s in slices)  # noqa: E731
        assert strip(again) == strip(mine), key


def test_pods_the_controller_leaves_out(made):
    for ns, name in _of(made, "stragglers"):
        pods = {p["metadata"]["name"]: p for p in made.objects["Pod"] if p["metadata"]["namespace"] == ns
                and p["metadata"]["labels"].get("app") == name}
        phases = {n: p["status"]["phase"] for n, p in pods.items()}
        listed = _targets(_slices(made, ns, name))
        gone = [n for n, p in pods.items() if p["spec"].get("nodeName", "").endswith(".gone.compute.internal")]
        assert sorted(phases.values()).count("Running") >= 3 and len(gone) == 1
        assert {"Pending", "Failed", "Succeeded"} <= set(phases.values())
        assert set(listed) == {n for n, ph in phases.items() if ph == "Running"} - set(gone)
        assert _truth(made, (ns, name))["endpoints"] == len(listed)


def test_publish_not_ready_addresses_makes_not_ready_pods_ready(made):
    for key in _of(made, "peer-discovery"):
        conditions = _targets(_slices(made, *key))
        assert {"ready": True, "serving": False, "terminating": False} in conditions.values()
        assert all(c["ready"] for c in conditions.values())
        assert _truth(made, key)["endpoints"] == len(conditions) == 3
        assert all(e["hostname"] == e["targetRef"]["name"] for s in _slices(made, *key) for e in s["endpoints"])


def test_ipv6_only_services_get_ipv6_slices_only(made):
    for key in _of(made, "ipv6-only"):
        slices = _slices(made, *key)
        assert {s["addressType"] for s in slices} == {"IPv6"}
        assert all(":" in a for s in slices for e in s["endpoints"] for a in e["addresses"])
        assert all(b.startswith("[fd00:") for b in _truth(made, key)["ports"][0]["backends"])


def test_endpoints_of_selectorless_services_are_mirrored(made):
    for ns, name in _of(made, "mirrored"):
        (endpoints,) = [e for e in made.objects["Endpoints"] if (e["metadata"]["namespace"], e["metadata"]["name"])
                        == (ns, name)]
        (s,) = _slices(made, ns, name)
        assert s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == MIRROR
        assert s["metadata"]["ownerReferences"][0]["kind"] == "Endpoints"
        subset = endpoints["subsets"][0]
        assert [e["conditions"] for e in s["endpoints"]] == [{"ready": True}] * len(subset["addresses"]) + [
            {"ready": False}] * len(subset["notReadyAddresses"])
        assert _truth(made, (ns, name))["endpoints"] == len(subset["addresses"])


def test_churn_keeps_every_state_and_the_truth_right():
    sim = build_cluster("states-churn", services=45, seed=22, broken_share=0.2)
    churn = Churn(sim, seed=3)
    for _ in range(25):
        churn.step()
        sim.reconcile()
        assert without_messages(core_audit(sim.name, objects_of(sim))) == without_messages(sim.truth())
    kinds = {s.kind for s in sim.services.values()}
    assert {"stragglers", "peer-discovery", "ipv6-only", "mirrored"} <= kinds


def test_an_ip_reused_while_the_old_pod_is_stuck_terminating(made):
    for key in _of(made, "ip-reuse"):
        (s,) = _slices(made, *key)
        by_address = {}
        for e in s["endpoints"]:
            by_address.setdefault(e["addresses"][0], []).append(e["conditions"])
        (twice,) = [a for a, c in by_address.items() if len(c) == 2]
        assert sorted(map(str, by_address[twice])) == sorted(map(str, [
            {"ready": False, "serving": False, "terminating": True}, {"ready": True, "serving": True,
                                                                     "terminating": False}]))
        truth = _truth(made, key)
        assert truth["status"] == "ok" and truth["endpoints"] == len(by_address)
        assert f"{twice}:8080" in truth["ports"][0]["backends"]


def test_fqdn_slices_are_reported_and_count_for_nothing(made):
    for key in _of(made, "fqdn"):
        fqdn = [s for s in _slices(made, *key) if s["addressType"] == "FQDN"]
        truth = _truth(made, key)
        assert fqdn and truth["status"] == "ok"
        assert [f["code"] for f in truth["findings"]] == ["FQDN_SLICE"]
        assert truth["findings"][0]["slices"] == [s["metadata"]["name"] for s in fqdn]


def test_a_drained_service_is_served_by_terminating_pods_only(made):
    for key in _of(made, "draining"):
        conditions = _targets(_slices(made, *key))
        assert conditions and all(c == {"ready": False, "serving": True, "terminating": True}
                                  for c in conditions.values())
        truth = _truth(made, key)
        assert truth["status"] == "degraded" and truth["endpoints"] == 0
        assert [f["code"] for f in truth["findings"]] == ["TERMINATING_ONLY"]


def test_rollouts_pass_through_terminating_pods_that_still_serve():
    sim = build_cluster("rolling", services=30, seed=23, broken_share=0.1)
    churn = Churn(sim, seed=4)
    seen = set()
    for _ in range(30):
        churn.step()
        sim.reconcile()
        for s in objects_of(sim)["EndpointSlice"]:
            for e in s["endpoints"] or ():
                c = e.get("conditions", {})
                if c.get("terminating"):
                    seen.add((c["ready"], c["serving"]))
        assert without_messages(core_audit(sim.name, objects_of(sim))) == without_messages(sim.truth())
    assert (False, True) in seen
