"""The CLI through its real entry point: exit codes, stdin, formats, the JSON report's schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "audit" / "golden"
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text())
SLICEAUDIT = str(Path(sys.executable).with_name("sliceaudit"))


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([SLICEAUDIT, *args], input=stdin, capture_output=True, timeout=60)


def objects_of(case: str) -> list:
    return yaml.safe_load((GOLDEN / f"{case}.yaml").read_text())["objects"]


def write_list(tmp_path: Path, case: str) -> Path:
    path = tmp_path / f"{case}.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects_of(case)}))
    return path


@pytest.mark.parametrize("case, fail_on, code", [
    ("dual_stack", "outage", 0),
    ("seed_two_deployments", "outage", 0),
    ("seed_two_deployments", "degraded", 1),
    ("total_outage", "outage", 1),
    ("total_outage", "never", 0),
])
def test_exit_status_follows_fail_on(tmp_path, case, fail_on, code):
    result = run("scan", "--file", str(write_list(tmp_path, case)), "--fail-on", fail_on)
    assert result.returncode == code, result.stderr


def test_json_report_matches_the_schema_and_keeps_errors(tmp_path):
    result = run("scan", "-f", str(write_list(tmp_path, "malformed_next_to_good")),
                 "-f", str(write_list(tmp_path, "seed_two_deployments")), "--output", "json")
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    (cluster,) = report["clusters"]
    assert [(s["namespace"], s["name"]) for s in cluster["services"]] == [("m", "web"), ("shop", "web")]
    assert len(cluster["errors"]) == 4


def test_stdin_multi_document_yaml(tmp_path):
    docs = yaml.safe_dump_all(objects_of("total_outage")).encode()
    result = run("scan", "--file", "-", "-o", "json", stdin=docs)
    assert result.returncode == 1
    (svc,) = json.loads(result.stdout)["clusters"][0]["services"]
    assert (svc["name"], svc["status"], svc["null_port_endpoints"]) == ("api", "outage", 2)


def test_typed_kubectl_list_without_item_kinds(tmp_path):
    objects = objects_of("port_zero")
    slices = [{k: v for k, v in o.items() if k != "kind"} for o in objects if o["kind"] == "EndpointSlice"]
    (tmp_path / "svc.yaml").write_text(yaml.safe_dump(objects[0]))
    (tmp_path / "slices.yaml").write_text(yaml.safe_dump({"apiVersion": "discovery.k8s.io/v1",
                                                          "kind": "EndpointSliceList", "items": slices}))
    result = run("scan", "-f", str(tmp_path / "svc.yaml"), "-f", str(tmp_path / "slices.yaml"), "-o", "json")
    (svc,) = json.loads(result.stdout)["clusters"][0]["services"]
    assert (svc["status"], svc["port_zero_endpoints"]) == ("degraded", 1)


def test_table_names_status_and_root_cause(tmp_path):
    result = run("scan", "-f", str(write_list(tmp_path, "seed_two_deployments")))
    out = result.stdout.decode()
    assert "shop/web" in out and "degraded" in out and "NULL_PORTS" in out
    assert "Deployment shop/canary" in out
    assert "\x1b[" not in out   # no colour when not a terminal
    assert "1 cluster, 1 Service: 0 outage, 1 degraded, 0 ok" in out


@pytest.mark.parametrize("args, stdin, needle", [
    (("scan",), None, "nothing to scan"),
    (("scan", "--file", "/no/such/file"), None, "cannot read /no/such/file"),
    (("scan", "--file", "-"), b"kind: [unclosed", "neither JSON nor YAML"),
    (("scan", "--file", "-", "--output", "xml"), b"{}", "'xml' is not one of"),
    (("scan", "--bogus"), None, "No such option"),
    (("nosuchcommand",), None, "No such command"),
])
def test_unusable_input_is_one_line_and_exit_2(args, stdin, needle):
    result = run(*args, stdin=stdin)
    err = result.stderr.decode()
    assert result.returncode == 2
    assert needle in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_table_is_coloured_on_a_terminal(tmp_path):
    import os
    import pty

    path = write_list(tmp_path, "total_outage")
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([SLICEAUDIT, "scan", "-f", str(path)], stdout=follower, stderr=subprocess.PIPE,
                              timeout=60)
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:   # the terminal closes once the program has exited and all is read
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(leader)
    assert proc.returncode == 1
    assert b"\x1b[1;31moutage" in out   # outage in bold red


def test_show_ok_and_cluster_name(tmp_path):
    path = str(write_list(tmp_path, "dual_stack"))
    assert "net/ds" not in run("scan", "-f", path).stdout.decode()   # healthy Services are only counted
    assert "net/ds" in run("scan", "-f", path, "--show-ok").stdout.decode()
    report = json.loads(run("scan", "-f", path, "--cluster-name", "prod-eu", "-o", "json").stdout)
    assert [c["name"] for c in report["clusters"]] == ["prod-eu"]
