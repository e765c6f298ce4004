"""Names with control characters (escape sequences, newlines) are escaped in the table and the HTML
fleet report: they never reach a terminal raw, nor forge a line of the table."""

from __future__ import annotations

import json

from fleetaws.fleet_report import ClusterResult
from hostile.cli_runner import run
from sliceaudit.audit.report import ClusterReport, ErrorEntry, decode_report
from sliceaudit.render.html import render_html

CLEAR = "\x1b[2J"
FORGED = "web\nprod    shop/fake     ok"   # a newline that would draw a healthy row of its own
BIDI = "\u202egnp.exe"


def hostile_objects() -> list[dict]:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": FORGED, "namespace": f"n{CLEAR}"},
           "spec": {"selector": {"app": "x"}, "ports": [{"name": "http", "port": 80}]}}
    null_slice = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                  "metadata": {"name": f"s{BIDI}", "namespace": f"n{CLEAR}",
                               "labels": {"kubernetes.io/service-name": FORGED}},
                  "ports": None, "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": True}}]}
    broken = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"b{CLEAR}", "namespace": "n"},
              "spec": {"ports": "not-a-list"}}
    return [svc, null_slice, broken]


def test_the_table_escapes_control_characters(tmp_path):
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps({"kind": "List", "items": hostile_objects()}))
    result = run("scan", "-f", str(path), "--cluster-name", f"c{CLEAR}")
    out = result.stdout.decode()
    assert result.returncode == 1, result.stderr
    assert "\x1b" not in out and "\u202e" not in out
    assert "n\\x1b[2J/web\\nprod    shop/fake     ok" in out and "c\\x1b[2J" in out
    assert not any(line.startswith("prod") for line in out.splitlines())   # no forged row
    assert "b\\x1b[2J" in out   # the rejected object's error line too


def test_the_json_report_keeps_names_exact(tmp_path):
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps({"kind": "List", "items": hostile_objects()}))
    report = json.loads(run("scan", "-f", str(path), "-o", "json").stdout)
    assert [s["name"] for s in report["clusters"][0]["services"]] == [FORGED]


def test_the_html_report_escapes_control_characters(tmp_path):
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps({"kind": "List", "items": hostile_objects()}))
    report = decode_report(run("scan", "-f", str(path), "-o", "json", "--cluster-name", f"c{CLEAR}").stdout)
    (cluster,) = report.clusters
    failed = ClusterReport(f"down{CLEAR}", [], [ErrorEntry(f"cluster x{CLEAR}", f"refused\n{BIDI}")])
    page = render_html("run-1", "2026-12-01T00:00:00Z", [ClusterResult(cluster, "2026-12-01T00:00:00Z"),
                                                          ClusterResult(failed, "2026-12-01T00:00:00Z", failed=True)])
    assert "\x1b" not in page and "\u202e" not in page and FORGED not in page
    assert "c\\x1b[2J" in page and "down\\x1b[2J" in page and "refused\\n\\u202e" in page
    assert "n\\x1b[2J" in page
