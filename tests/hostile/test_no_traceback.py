"""Nothing raises: odd `kind`s, input nested thousands deep, closed or full standard streams each end
in one clear line (or an error entry) and a sensible exit status, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from hostile.cli_runner import SLICEAUDIT, one_line_error, run
from hostile.hostile_api import HostileApi

SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "n"},
           "spec": {"ports": [{"port": 80}]}}


@pytest.mark.parametrize("kind", [[1], {"a": 1}, 1.5, 7, True, None, "", "List", "Nonsense"])
def test_kind_of_any_json_type_is_rejected_or_skipped_alone(tmp_path, kind):
    path = tmp_path / "kinds.json"
    path.write_text(json.dumps({"kind": "List", "items": [{"kind": kind, "metadata": {"name": "x"}}, SERVICE]}))
    result = run("scan", "-f", str(path), "-o", "json")
    assert b"Traceback" not in result.stderr and result.returncode == 0, result.stderr
    cluster = json.loads(result.stdout)["clusters"][0]
    assert [s["name"] for s in cluster["services"]] == ["web"]
    if not isinstance(kind, str) and kind is not None:
        assert cluster["errors"] == [{"object": f"{path} items[0]",
                                      "message": f"kind is not a string but {type(kind).__name__}"}]


DEEP = 100_000


@pytest.mark.parametrize("name, text, message", [
    ("deep.json", "[" * DEEP + "]" * DEEP, "JSON nested deeper than the 1000 levels read"),
    ("deep-object.json", '{"a":' * DEEP + "1" + "}" * DEEP, "JSON nested deeper than the 1000 levels read"),
    ("flow.yaml", "a: " + "[" * DEEP + "]" * DEEP, "neither JSON nor YAML"),
    ("compact.yaml", "- " * DEEP + "x\n", "YAML nested or indented 1000 levels deep or more (the limit)"),
    ("block.yaml", "".join(" " * i + "a:\n" for i in range(2000)), "YAML nested or indented 1000 levels deep"),
])
def test_input_nested_thousands_deep_is_one_line(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    result = run("scan", "-f", str(path))
    assert result.returncode == 2
    assert message in one_line_error(result)


def test_closed_standard_input():
    result = subprocess.run([SLICEAUDIT, "scan", "-f", "-"], capture_output=True, timeout=60,
                            preexec_fn=lambda: os.close(0))
    assert result.returncode == 2
    assert one_line_error(result) == "sliceaudit: cannot read standard input: it is closed"


def test_closed_standard_output(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(SERVICE))
    result = subprocess.run([SLICEAUDIT, "scan", "-f", str(path)], stderr=subprocess.PIPE, timeout=60,
                            preexec_fn=lambda: os.close(1))
    assert result.returncode == 2
    assert one_line_error(result) == "sliceaudit: standard output is closed: nowhere to write the report"


def big_list(tmp_path):
    path = tmp_path / "big.json"
    items = [{**SERVICE, "metadata": {"name": f"s{i}", "namespace": "n"}} for i in range(5000)]
    path.write_text(json.dumps({"kind": "List", "items": items}))
    return str(path)


@pytest.mark.parametrize("output", ["table", "json"])
def test_a_reader_that_goes_away_is_one_line(tmp_path, output):
    # `sliceaudit scan ... | head -0`: the pipe is closed before the report is written.
    proc = subprocess.Popen([SLICEAUDIT, "scan", "-f", big_list(tmp_path), "-o", output, "--show-ok"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 2
    result = subprocess.CompletedProcess(proc.args, 2, b"", err)
    assert one_line_error(result) == "sliceaudit: cannot write the report to standard output: Broken pipe"


@pytest.mark.parametrize("output", ["table", "json"])
def test_a_full_disk_is_one_line(tmp_path, output):
    with open("/dev/full", "wb") as full:
        result = subprocess.run([SLICEAUDIT, "scan", "-f", big_list(tmp_path), "-o", output, "--show-ok"],
                                stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert result.returncode == 2
    assert one_line_error(result) == "sliceaudit: cannot write the report to standard output: No space left on device"


def test_an_api_response_nested_thousands_deep_is_the_clusters_error(tmp_path):
    with HostileApi("deep-json") as api:
        config = tmp_path / "config"
        config.write_text(yaml.safe_dump(api.kubeconfig("deep")))
        result = run("scan", "--kubeconfig", str(config), "-o", "json", "--owners", "none")
    assert result.returncode == 2
    (cluster,) = json.loads(result.stdout)["clusters"]
    (error,) = cluster["errors"]
    assert error["object"] == "cluster" and error["message"].endswith("list response: nested too deeply"), error
    assert one_line_error(result) == f"sliceaudit: cluster deep: {error['message']}"
