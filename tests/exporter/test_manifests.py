"""Deploy artefacts checked offline: Kubernetes schemas, least privilege, and that the pieces fit together."""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from exporter import prometheusrule
from exporter.cli import command
from exporter.state import RESOURCES
from sliceaudit.kube.resources import resource

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "exporter" / "manifests"
K8S_VERSION = "1.30.0"


def load(name: str) -> dict:
    return yaml.safe_load((MANIFESTS / name).read_text())


def all_docs() -> list[tuple[str, dict]]:
    kustomization = load("kustomization.yaml")
    return [(name, load(name)) for name in kustomization["resources"]]


def test_kustomization_lists_every_manifest():
    listed = set(load("kustomization.yaml")["resources"])
    present = {p.name for p in MANIFESTS.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


@pytest.mark.parametrize("name", ["namespace.yaml", "serviceaccount.yaml", "clusterrole.yaml",
                                  "clusterrolebinding.yaml", "deployment.yaml", "service.yaml"])
def test_builtin_kinds_validate_against_the_kubernetes_schema(name):
    kubernetes_validate.validate(load(name), K8S_VERSION, strict=True)


def test_cluster_role_grants_only_read_on_what_the_exporter_watches():
    rules = load("clusterrole.yaml")["rules"]
    granted = set()
    for rule in rules:
        assert sorted(rule["verbs"]) == ["get", "list", "watch"]
        for group in rule["apiGroups"]:
            for res in rule["resources"]:
                granted.add(f"{res}.{group}" if group else res)
    assert granted == {resource(kind).resource for kind in RESOURCES}


def test_deployment_runs_non_root_on_a_read_only_file_system():
    dep = load("deployment.yaml")
    pod = dep["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    (container,) = pod["containers"]
    sc = container["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert pod["serviceAccountName"] == load("serviceaccount.yaml")["metadata"]["name"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["SLICEAUDIT_EXPORTER_LISTEN"].endswith(f":{ports['metrics']}")


def test_deployment_sets_only_variables_the_command_reads():
    known = {p.envvar for p in command.params if p.envvar}
    container = load("deployment.yaml")["spec"]["template"]["spec"]["containers"][0]
    assert {e["name"] for e in container["env"]} <= known


def test_binding_service_and_monitor_point_at_each_other():
    sa = load("serviceaccount.yaml")["metadata"]
    binding = load("clusterrolebinding.yaml")
    assert binding["roleRef"]["name"] == load("clusterrole.yaml")["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": sa["name"], "namespace": sa["namespace"]}]
    dep = load("deployment.yaml")
    pod_labels = dep["spec"]["template"]["metadata"]["labels"]
    svc = load("service.yaml")
    assert svc["spec"]["selector"].items() <= pod_labels.items()
    container_ports = {p["name"] for p in dep["spec"]["template"]["spec"]["containers"][0]["ports"]}
    # A named targetPort the pods declare: the very thing this product audits.
    assert {p["targetPort"] for p in svc["spec"]["ports"]} <= container_ports


def test_service_monitor_honours_the_exporters_labels():
    sm = load("servicemonitor.yaml")
    assert sm["apiVersion"] == "monitoring.coreos.com/v1" and sm["kind"] == "ServiceMonitor"
    svc = load("service.yaml")
    assert sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items()
    assert svc["metadata"]["namespace"] in sm["spec"]["namespaceSelector"]["matchNames"]
    (endpoint,) = sm["spec"]["endpoints"]
    assert endpoint["honorLabels"] is True
    assert endpoint["port"] in {p["name"] for p in svc["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert re.fullmatch(r"\d+[sm]", endpoint["interval"])


def test_prometheus_rule_is_generated_from_the_rules_file():
    rules_text = prometheusrule.RULES.read_text()
    assert (MANIFESTS / "prometheusrule.yaml").read_text() == prometheusrule.render(rules_text), \
        "regenerate: .venv/bin/python -m exporter.prometheusrule > exporter/manifests/prometheusrule.yaml"
    pr = load("prometheusrule.yaml")
    assert pr["apiVersion"] == "monitoring.coreos.com/v1" and pr["kind"] == "PrometheusRule"
    assert pr["spec"]["groups"] == yaml.safe_load(rules_text)["groups"]


def test_the_alert_rules_select_the_job_the_service_monitor_creates():
    # prometheus-operator names the job after the Service unless jobLabel says otherwise.
    assert "jobLabel" not in load("servicemonitor.yaml")["spec"]
    job = load("service.yaml")["metadata"]["name"]
    exprs = [r["expr"] for g in load("prometheusrule.yaml")["spec"]["groups"] for r in g["rules"]]
    assert {m for e in exprs for m in re.findall(r'job="([^"]+)"', e)} == {job}


def test_every_object_is_labelled_and_namespaced_consistently():
    for name, doc in all_docs():
        meta = doc["metadata"]
        if doc["kind"] == "Namespace":
            assert meta["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
            continue
        # `kubectl get all,servicemonitor,prometheusrule -l app.kubernetes.io/name=...` finds every piece.
        assert meta["labels"]["app.kubernetes.io/name"] == "sliceaudit-exporter", name
        if doc["kind"] not in ("ClusterRole", "ClusterRoleBinding"):
            assert meta["namespace"] == "sliceaudit", name


def test_dockerfile_builds_a_slim_non_root_read_only_image():
    text = (ROOT / "exporter" / "Dockerfile").read_text()
    froms = re.findall(r"^FROM (\S+)", text, re.M)
    assert froms and all("slim" in f for f in froms)
    (user,) = re.findall(r"^USER (\S+)", text, re.M)
    assert user.split(":")[0] not in ("0", "root")
    assert "PYTHONDONTWRITEBYTECODE=1" in text  # nothing written under a read-only root
    assert re.search(r'^ENTRYPOINT \["sliceaudit", "exporter"\]', text, re.M)
    port = load("deployment.yaml")["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
    assert f"EXPOSE {port}" in text
    dep_user = load("deployment.yaml")["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
    assert user.split(":")[0] == str(dep_user)
