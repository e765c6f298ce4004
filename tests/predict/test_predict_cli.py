"""`sliceaudit predict` as a user runs it: files in, table / JSON / SARIF out, scan's exit codes,
and agreement with a live scan of the cluster the same manifests made."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_predict import HTTP, WEB, deployment, service

from sliceaudit.sim.fleetrun import kubeconfig_for
from sliceaudit.sim.world import render
from sliceaudit.sim.world.fleet import generate_cluster

SLICEAUDIT = str(Path(sys.executable).with_name("sliceaudit"))


def predict(*args, stdin=None):
    return subprocess.run([SLICEAUDIT, "predict", *args], input=stdin, capture_output=True, text=True, timeout=120)


def write(path, *bodies):
    path.write_text("---\n".join(yaml.safe_dump(b, sort_keys=False) for b in bodies))
    return str(path)


@pytest.fixture
def split(tmp_path):
    return write(tmp_path / "app.yaml", deployment("web", WEB, [("http", 8080)]),
                 deployment("web-canary", {**WEB, "v": "2"}, [("web", 8080)], replicas=1), service("web", WEB, HTTP))


def test_table_by_default_and_exit_codes_as_scan(split, tmp_path):
    out = predict("-f", split)
    assert out.returncode == 0, out.stderr
    assert "default/web" in out.stdout and "degraded" in out.stdout and "web-canary" in out.stdout
    assert predict("-f", split, "--fail-on", "degraded").returncode == 1
    outage = write(tmp_path / "outage.yaml", deployment("web", WEB, [("web", 8080)]), service("web", WEB, HTTP))
    assert predict("-f", outage).returncode == 1


@pytest.mark.parametrize("args, message", [
    (["-f", "/nonexistent/x.yaml"], "cannot read /nonexistent/x.yaml"),
    (["-f", "-"], "no Service in the manifests"),
])
def test_unusable_input_is_one_line_and_exit_2(args, message):
    out = predict(*args, stdin="kind: ConfigMap\nmetadata: {name: x}\n")
    assert out.returncode == 2 and message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_json_is_the_scan_report(split):
    report = json.loads(predict("-f", split, "-o", "json").stdout)
    assert report["schema"] == "sliceaudit.report/v1"
    (svc,) = report["clusters"][0]["services"]
    assert svc["status"] == "degraded" and svc["findings"][0]["workloads"][0]["name"] == "web-canary"


def test_sarif_points_at_the_service_and_the_workload_lines(split):
    log = json.loads(predict("-f", split, "-o", "sarif").stdout)
    assert log["version"] == "2.1.0"
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "NULL_PORTS" and result["level"] == "warning"
    where = result["locations"][0]["physicalLocation"]
    text = Path(split).read_text().splitlines()
    assert where["artifactLocation"]["uri"] == split
    assert text[where["region"]["startLine"] - 1] == "apiVersion: v1"
    (related,) = result["relatedLocations"]
    line = related["physicalLocation"]["region"]["startLine"]
    assert "web-canary" in "\n".join(text[line - 1:line + 3]) and "lack http/TCP" in related["message"]["text"]
    assert {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]} >= {"NULL_PORTS", "PORT_MISSING"}


def test_a_kubectl_list_is_read_item_by_item(tmp_path):
    items = [deployment("web", WEB, [("web", 8080)]), service("web", WEB, HTTP)]
    as_json = tmp_path / "list.json"
    as_json.write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": items}, indent=1))
    assert json.loads(predict("-f", str(as_json), "-o", "json").stdout)["clusters"][0]["services"][0][
        "status"] == "outage"
    as_yaml = tmp_path / "list.yaml"
    # kubectl -o yaml writes no anchors (a document with anchors is read whole, its items on its line)
    plain = json.loads(json.dumps(items))
    as_yaml.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": plain}, sort_keys=False))
    (result,) = json.loads(predict("-f", str(as_yaml), "-o", "sarif").stdout)["runs"][0]["results"]
    line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert as_yaml.read_text().splitlines()[line - 1].lstrip("- ").startswith(("apiVersion", "kind"))
    assert line > 3


def test_a_document_that_does_not_parse_is_an_error_and_the_rest_is_predicted(tmp_path):
    path = tmp_path / "mixed.yaml"
    path.write_text(yaml.safe_dump(service("web", WEB, HTTP)) + "---\nkind: [unclosed\n---\n"
                    + yaml.safe_dump(deployment("web", WEB, [("http", 8080)])))
    out = predict("-f", str(path), "-o", "json")
    assert out.returncode == 0, out.stderr
    (cluster,) = json.loads(out.stdout)["clusters"]
    assert cluster["services"][0]["status"] == "ok" and len(cluster["errors"]) == 1
    assert cluster["errors"][0]["object"].startswith(f"{path}#2")


# --- the simulator's own manifests against a live scan of the cluster they made ----------------


@pytest.fixture(scope="module")
def cluster():
    return generate_cluster("sim", services=40, seed=5, broken_share=0.3)


def _verdicts(report, services):
    """Per Service: status, and per finding its code and the workloads named (kind, name, lacks)."""
    def finding(f):
        return f["code"], sorted((w["kind"], w["name"], w.get("lacks", [])) for w in f.get("workloads", []))

    return {(s["namespace"], s["name"]): (s["status"], sorted(map(finding, s["findings"])))
            for s in report["clusters"][0]["services"] if (s["namespace"], s["name"]) in services}


def test_predict_on_the_simulators_manifests_agrees_with_a_live_scan(cluster, shared_server, tmp_path):
    sim = cluster.sim
    manifests = [render.workload(w) for w in sim.workloads.values()] + [render.service(s)
                                                                       for s in sim.services.values()]
    path = write(tmp_path / "rendered.yaml", *manifests)
    predicted = predict("-f", path, "-o", "json", "--fail-on", "never")
    assert predicted.returncode == 0, predicted.stderr
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(kubeconfig_for({"sim": shared_server})))
    live = subprocess.run([SLICEAUDIT, "scan", "--kubeconfig", str(kubeconfig), "--context", "sim", "-o", "json",
                           "--fail-on", "never", "--owners", "all"], capture_output=True, text=True, timeout=120)
    assert live.returncode == 0, live.stderr
    # Selector-less Services are served by hand-made slices the manifests do not hold, and pods in
    # the middle of terminating (a drain under way) are state no manifest describes.
    from sliceaudit.sim.world.model import selects

    selected = {k for k, s in sim.services.items() if s.selector and not any(
        p.terminating for p in sim.pods(s.namespace) if selects(s.selector, p.labels))}
    want = _verdicts(json.loads(live.stdout), selected)
    got = _verdicts(json.loads(predicted.stdout), selected)
    assert got == want
    assert any(status != "ok" for status, _ in want.values())


def test_context_adds_what_the_live_cluster_runs(cluster, shared_server, tmp_path):
    """A new canary in the manifests whose labels match a Service that only the live cluster has."""
    sim = cluster.sim
    (ns, name), svc = next((k, s) for k, s in sorted(sim.services.items())
                           if s.kind == "web" and not s.broken and s.ports[0].target == "http")
    canary = deployment(f"{name}-next", dict(svc.selector), [("web", 8080)], replicas=1)
    canary["metadata"]["namespace"] = ns
    path = write(tmp_path / "canary.yaml", canary)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(kubeconfig_for({"sim": shared_server})))
    out = predict("-f", path, "--kubeconfig", str(kubeconfig), "--context", "sim", "-o", "json", "--fail-on", "never")
    assert out.returncode == 0, out.stderr
    (report,) = json.loads(out.stdout)["clusters"]
    got = next(s for s in report["services"] if (s["namespace"], s["name"]) == (ns, name))
    assert got["status"] == "degraded"
    (finding,) = got["findings"]
    assert [(w["kind"], w["name"]) for w in finding["workloads"]] == [("Deployment", f"{name}-next")]
    assert f"Deployment {ns}/{name}" in finding["selector_workloads"]
    # Selector-less Services keep the slices others write for them: the same verdict as the live truth.
    truth = {(t["namespace"], t["name"]): t["status"] for t in shared_server.truth()["services"]}
    selectorless = {(s["namespace"], s["name"]): s["status"] for s in report["services"]
                    if not sim.services[(s["namespace"], s["name"])].selector}
    assert selectorless and selectorless == {k: truth[k] for k in selectorless}
    assert set(selectorless.values()) != {"ok"}
    assert predict("-f", path, "--kubeconfig", str(kubeconfig), "--context", "nope").returncode == 2
