"""`sliceaudit scan --consumer` and `--fail-on impact` through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SHAPES = yaml.safe_load((ROOT / "tests" / "consumers" / "golden" / "shapes.yaml").read_text())["shapes"]
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text())
SLICEAUDIT = str(Path(sys.executable).with_name("sliceaudit"))
SKIPPER = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"namespace": "kube-system", "name": "skipper"},
           "spec": {"template": {"spec": {"containers": [
               {"name": "skipper", "image": "registry.opensource.zalan.do/teapot/skipper:v0.21.146"}]}}}}


def scan(tmp_path: Path, shape: str, *args: str, extra=()) -> subprocess.CompletedProcess:
    path = tmp_path / f"{shape}.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [*SHAPES[shape]["objects"], *extra]}))
    return subprocess.run([SLICEAUDIT, "scan", "-f", str(path), *args], capture_output=True, timeout=60)


def test_declared_consumer_impact_in_the_json_report(tmp_path):
    result = scan(tmp_path, "null_ports", "--consumer", "skipper@v0.21.146", "--consumer", "traefik@v3.6.23",
                  "-o", "json")
    report = json.loads(result.stdout)
    jsonschema.validate(report, SCHEMA)
    (cluster,) = report["clusters"]
    assert [(c["name"], c["version"], c["found_in"]) for c in cluster["consumers"]] == [
        ("skipper", "v0.21.146", ["--consumer"]), ("traefik", "v3.6.23", ["--consumer"])]
    (impact,) = cluster["services"][0]["impact"]
    assert impact["consumer"] == "skipper" and impact["ports"][0]["share"] == 1.0


def test_consumers_are_detected_from_the_files_workloads(tmp_path):
    result = scan(tmp_path, "null_ports", "-o", "json", extra=[SKIPPER])
    (cluster,) = json.loads(result.stdout)["clusters"]
    assert [c["name"] for c in cluster["consumers"]] == ["skipper"]


@pytest.mark.parametrize("shape,consumer,code", [
    ("null_ports", "skipper@v0.21.146", 1),     # dials :0
    ("null_ports", "skipper@v0.21.150", 0),     # the fix: routes like kube-proxy
    ("two_numbers", "skipper@v0.21.150", 1),    # kube-proxy is fine (status ok), Skipper mis-maps
    ("port_unset", "ingress-nginx@1.9.4", 1),   # controller panic
])
def test_fail_on_impact_fails_when_a_consumer_in_use_is_hit(tmp_path, shape, consumer, code):
    result = scan(tmp_path, shape, "--consumer", consumer, "--fail-on", "impact")
    assert result.returncode == code, result.stderr


def test_the_table_shows_impact_and_cluster_wide_failures_first(tmp_path):
    result = scan(tmp_path, "port_unset", "--consumer", "ingress-nginx@1.6.4", "--consumer", "skipper@v0.21.146")
    out = result.stdout.decode()
    assert out.startswith("CONSUMER_PANIC [files]: ingress-nginx v1.6.4")
    assert "IMPACT Skipper v0.21.146: dials 3 of 3 backends (3 at TCP port 0)" in " ".join(out.split())


@pytest.mark.parametrize("value,says", [
    ("nginx", "--consumer 'nginx': unknown consumer"),
    ("skipper@newest", "'newest' is not a version"),
])
def test_a_bad_consumer_flag_is_one_line_and_exit_2(tmp_path, value, says):
    result = scan(tmp_path, "null_ports", "--consumer", value)
    err = result.stderr.decode()
    assert result.returncode == 2 and says in err and len(err.strip().splitlines()) == 1, err
