"""`predict`: manifests of each shape in, the audit of the slices the controller would write out."""

import pytest
import yaml

from sliceaudit.predict import Manifest, predict


def deployment(name, labels, ports, kind="Deployment", replicas=2, **spec):
    template = {"metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": f"{name}:1",
                                         "ports": [{"name": n, "containerPort": c} for n, c in ports]}]}}
    body = {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": labels}, "template": template, **spec}}
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        body["spec"]["replicas"] = replicas
    if kind == "Job":
        body["apiVersion"] = "batch/v1"
        body["spec"] = {"template": template, "parallelism": replicas}
    if kind == "CronJob":
        body = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
                "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": template}}}}
    if kind == "Pod":
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
                "spec": template["spec"]}
    return body


def service(name, selector, ports, **spec):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": selector, "ports": [{"name": n, "port": p, "targetPort": t} for n, p, t in ports],
                     **spec}}


def run(*bodies):
    return predict([Manifest(b, "app.yaml", 10 * i + 1) for i, b in enumerate(bodies)])


def only(prediction):
    (svc,) = prediction.report.services
    return svc


WEB = {"app": "web"}
HTTP = [("http", 80, "http")]


# The shape KICS's "Service does not target a Pod" and kube-linter's dangling-service both pass:
# the selector matches two workloads' pods, and one lacks the named targetPort.
def test_two_workloads_match_and_one_lacks_the_named_port():
    p = run(deployment("web", WEB, [("http", 8080)]),
            deployment("web-canary", {**WEB, "track": "canary"}, [("web", 8080)], replicas=1),
            service("web", WEB, HTTP))
    svc = only(p)
    assert (svc.status, svc.endpoints, svc.null_port_endpoints) == ("degraded", 3, 1)
    (f,) = svc.findings
    assert f.code == "NULL_PORTS"
    assert [(w.kind, w.name, w.pods, w.lacks) for w in f.workloads] == [("Deployment", "web-canary", 1, ["http/TCP"])]
    assert f.selector_workloads == ["Deployment default/web", "Deployment default/web-canary"]
    assert p.locations[("Deployment", "default", "web-canary")] == ("app.yaml", 11)


def test_every_workload_lacking_the_port_is_an_outage():
    svc = only(run(deployment("web", WEB, [("web", 8080)]), service("web", WEB, HTTP)))
    assert svc.status == "outage" and [f.code for f in svc.findings] == ["NULL_PORTS"]


def test_a_canary_lacking_one_of_two_ports_is_port_missing():
    ports = [("http", 80, "http"), ("grpc", 9000, "grpc")]
    svc = only(run(deployment("api", {"app": "api"}, [("http", 8080), ("grpc", 9090)]),
                   deployment("api-canary", {"app": "api", "v": "2"}, [("http", 8080)], replicas=1),
                   service("api", {"app": "api"}, ports)))
    assert svc.status == "degraded" and [(f.code, f.ports) for f in svc.findings] == [("PORT_MISSING", ["grpc"])]


@pytest.mark.parametrize("kind, reported", [("StatefulSet", "StatefulSet"), ("DaemonSet", "DaemonSet"),
                                            ("ReplicaSet", "ReplicaSet"), ("Job", "Job"), ("CronJob", "Job"),
                                            ("Pod", "Pod")])
def test_each_workload_kind_is_named_in_the_finding(kind, reported):
    p = run(deployment("web", WEB, [("http", 8080)]), deployment("odd", WEB, [("other", 8080)], kind=kind),
            service("web", WEB, HTTP))
    (f,) = only(p).findings
    (w,) = f.workloads
    assert (w.kind, w.name, w.lacks) == (reported, "odd", ["http/TCP"])
    assert p.locations[(w.kind, "default", "odd")] == ("app.yaml", 11)  # a CronJob's Job points at the CronJob


def test_healthy_shapes_raise_nothing():
    p = run(deployment("web", WEB, [("http", 8080)]), service("web", WEB, [("http", 80, 8080)]),
            deployment("db", {"app": "db"}, [("pg", 5432)], kind="StatefulSet", serviceName="db"),
            service("db", {"app": "db"}, [], clusterIP="None"),
            deployment("six", {"app": "six"}, [("http", 8080)]),
            service("six", {"app": "six"}, HTTP, ipFamilies=["IPv6"]))
    got = {s.name: (s.status, s.findings, s.endpoints) for s in p.report.services}
    assert got == {"db": ("ok", [], 2), "six": ("ok", [], 2), "web": ("ok", [], 2)}
    six = next(s for s in p.report.services if s.name == "six")
    assert all(b.startswith("[fd00:") for b in six.ports[0].backends)


def test_a_service_matching_nothing_has_no_endpoints():
    svc = only(run(service("web", WEB, HTTP)))
    assert (svc.status, svc.endpoints, svc.findings) == ("ok", 0, [])


def test_selectorless_service_with_endpoints_is_mirrored():
    ep = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "db"},
          "subsets": [{"addresses": [{"ip": "192.168.1.5"}]}]}
    svc = only(run(service("db", None, [("pg", 5432, 5432)]), ep))
    assert svc.status == "outage" and [f.code for f in svc.findings] == ["NULL_PORTS"]


def test_a_broken_manifest_is_one_error_and_the_rest_is_audited():
    p = run(deployment("web", WEB, [("http", 8080)]) | {"spec": {"replicas": "two"}}, ["not", "an", "object"],
            service("web", WEB, HTTP))
    assert [e.object for e in p.report.errors] == ["Deployment web (app.yaml:1)", "app.yaml:11"]
    assert "replicas" in p.report.errors[0].message
    assert only(p).status == "ok"


def test_helm_style_multi_document_yaml_with_namespace():
    text = "\n---\n".join(yaml.safe_dump(b) for b in (
        deployment("web", WEB, [("web", 8080)]) | {"metadata": {"name": "web", "namespace": "shop"}},
        service("web", WEB, HTTP) | {"metadata": {"name": "web", "namespace": "shop"}}))
    p = predict([Manifest(b) for b in yaml.safe_load_all(text)], namespace="ignored")
    assert [(s.namespace, s.status) for s in p.report.services] == [("shop", "outage")]
