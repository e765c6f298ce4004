"""End to end with the real programs: simulated cluster -> exporter -> Prometheus -> Alertmanager -> webhook.

A Service breaks in the simulator; on-call's receiver gets the firing SliceAuditServiceOutage for
exactly that Service, and SliceAuditConsumerDialsPortZero for the declared Skipper v0.21.146 (which
dials its ports: null backends at ip:0); the simulator fixes it; the receiver gets both resolved. Prometheus and
Alertmanager run from the shipped rules and routing (only `for:` and the group timers shortened),
on loopback ports, and are stopped by pid.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
from contextlib import closing

import pytest
import yaml
from exporter_e2ekit import Process, Webhook, binary, get, stop_all, wait_until
from exporter_testkit import free_port

from sliceaudit.sim.fleetrun import SimulatedFleet

pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALERTS = os.path.join(ROOT, "exporter", "alerts")
CLUSTER = "prod-eu-1"
CONSUMER = ("skipper", "v0.21.146")


def shortened_rules(path) -> None:
    """The shipped rules with every `for:` cut to 2 s, so pending -> firing takes seconds."""
    doc = yaml.safe_load(open(os.path.join(ALERTS, "sliceaudit.rules.yml")))
    for group in doc["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = "2s"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def alertmanager_config(path, webhook_url: str) -> None:
    """The shipped routing tree and inhibitions; each receiver becomes a webhook path of its name."""
    doc = yaml.safe_load(open(os.path.join(ALERTS, "alertmanager.example.yml")))

    def shrink(route: dict) -> None:
        route.update(group_wait="1s", group_interval="1s", repeat_interval="1h")
        for child in route.get("routes", ()):
            shrink(child)

    shrink(doc["route"])
    doc["receivers"] = [{"name": r["name"], "webhook_configs": [{"url": f"{webhook_url}/{r['name']}",
                                                                 "send_resolved": True}]}
                        for r in doc["receivers"]]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def prometheus_config(path, rules: str, exporter: str, alertmanager: str) -> None:
    path.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [rules],
        "scrape_configs": [{"job_name": "sliceaudit-exporter", "honor_labels": True,
                            "static_configs": [{"targets": [exporter]}]}],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
    }))


def query(prom_url: str, expr: str) -> dict:
    status, body = get(f"{prom_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    return json.loads(body) if status in (200, 400, 422) else {"status": f"http {status}"}


def alert_of(name: str, status: str, ns: str, svc: str):
    """A webhook match for alert `name` in `status` for exactly that Service."""
    def match(path: str, alert: dict) -> bool:
        labels = alert["labels"]
        return (alert["status"] == status and labels["alertname"] == name
                and (labels["cluster"], labels["namespace"], labels["service"]) == (CLUSTER, ns, svc))
    return match


def wait_for_each(webhook: Webhook, matches: dict, procs) -> dict[str, tuple[str, dict]]:
    """(path, alert) for every named match, in whatever order Alertmanager sends them."""
    got: dict[str, tuple[str, dict]] = {}
    while len(got) < len(matches):
        def any_left(path: str, alert: dict) -> bool:
            return any(name not in got and m(path, alert) for name, m in matches.items())
        path, alert = webhook.wait_for(any_left, procs)
        got.update({name: (path, alert) for name, m in matches.items() if name not in got and m(path, alert)})
    return got


def test_a_broken_service_pages_on_call_and_resolves_after_the_fix(tmp_path):
    prometheus_bin, alertmanager_bin = binary("prometheus"), binary("prometheus-alertmanager")
    procs: list[Process] = []
    with closing(Webhook()) as webhook, \
            SimulatedFleet(clusters=1, services=12, seed=5, broken_share=0.0, names=[CLUSTER]) as fleet:
        server = fleet.servers[CLUSTER]
        assert all(s["status"] != "outage" for s in server.truth()["services"])
        ns, svc = server.breakable("outage")[0]
        kubeconfig = fleet.write_kubeconfig(tmp_path / "kubeconfig")
        exporter_addr = f"127.0.0.1:{free_port()}"
        am_addr = f"127.0.0.1:{free_port()}"
        prom_addr = f"127.0.0.1:{free_port()}"
        shortened_rules(tmp_path / "rules.yml")
        alertmanager_config(tmp_path / "alertmanager.yml", webhook.url)
        prometheus_config(tmp_path / "prometheus.yml", str(tmp_path / "rules.yml"), exporter_addr, am_addr)
        try:
            exporter = Process("exporter", [sys.executable, "-m", "sliceaudit.cli.main", "exporter",
                                            "--kubeconfig", str(kubeconfig), "--all-contexts",
                                            "--listen", exporter_addr, "--consumer", "@".join(CONSUMER)],
                              tmp_path / "exporter.log")
            procs.append(exporter)
            procs.append(Process("alertmanager", [
                alertmanager_bin, f"--config.file={tmp_path / 'alertmanager.yml'}",
                f"--storage.path={tmp_path / 'am-data'}", f"--web.listen-address={am_addr}",
                "--cluster.listen-address=", "--log.level=warn"], tmp_path / "alertmanager.log"))
            procs.append(Process("prometheus", [
                prometheus_bin, f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'prom-data'}", f"--web.listen-address={prom_addr}",
                "--rules.alert.resend-delay=1s", "--log.level=warn"], tmp_path / "prometheus.log"))
            prom = f"http://{prom_addr}"

            wait_until("the exporter to be ready", lambda: get(f"http://{exporter_addr}/readyz")[0] == 200, procs)
            wait_until("Alertmanager to be ready", lambda: get(f"http://{am_addr}/-/ready")[0] == 200, procs)
            wait_until("Prometheus to be ready", lambda: get(f"{prom}/-/ready")[0] == 200, procs)
            healthy = f'sliceaudit_service_outage{{cluster="{CLUSTER}",namespace="{ns}",service="{svc}"}} == 0'
            wait_until("a scrape of the healthy Service", lambda: query(prom, healthy)["data"]["result"], procs)
            unhit = (f'sliceaudit_consumer_broken_backends{{cluster="{CLUSTER}",namespace="{ns}",service="{svc}",'
                     f'consumer="{CONSUMER[0]}",version="{CONSUMER[1]}"}} == 0')
            assert query(prom, unhit)["data"]["result"]  # the declared consumer's series, at 0 while healthy

            truth = server.break_service(ns, svc, "outage")
            assert truth["status"] == "outage"

            alerts = ("SliceAuditServiceOutage", "SliceAuditConsumerDialsPortZero")
            firing = wait_for_each(webhook, {a: alert_of(a, "firing", ns, svc) for a in alerts}, procs)
            for name, (path, alert) in firing.items():
                assert path == "/oncall-pager", name
                assert alert["labels"]["severity"] == "critical"
                assert alert["annotations"]["runbook_url"].endswith(f"docs/runbook.md#{name.lower()}")
                assert f"Service {ns}/{svc} in {CLUSTER}" in alert["annotations"]["summary"]
            consumer = firing["SliceAuditConsumerDialsPortZero"][1]["labels"]
            assert (consumer["consumer"], consumer["version"]) == CONSUMER

            # While data is there: every dashboard query is valid PromQL against these series.
            dashboard = json.load(open(os.path.join(ROOT, "exporter", "dashboards", "sliceaudit.json")))
            exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", ())]
            for expr in exprs:
                got = query(prom, expr.replace("$cluster", ".*"))
                assert got["status"] == "success", (expr, got)
            rules = json.loads(get(f"{prom}/api/v1/rules")[1])["data"]["groups"]
            assert all(r["health"] == "ok" for g in rules for r in g["rules"])

            server.fix_service(ns, svc)
            resolved = wait_for_each(webhook, {a: alert_of(a, "resolved", ns, svc) for a in alerts}, procs)
            assert {path for path, _ in resolved.values()} == {"/oncall-pager"}
        finally:
            statuses = stop_all(procs)
        assert statuses["exporter"] == 0, exporter.tail()  # SIGTERM is a clean stop
