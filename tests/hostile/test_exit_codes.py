"""Exit status says whether everything asked for was audited: 2 when some cluster or file could not
be, and never 0 for a scan that audited nothing; one stderr line per failure; the report keeps the rest."""

from __future__ import annotations

import json
import socket

import pytest
import yaml

from hostile.cli_runner import one_line_error, run
from hostile.hostile_api import kubeconfig, merged_kubeconfig


def service(name: str, ports="[{port: 80}]") -> str:
    return f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: n}}\nspec: {{ports: {ports}}}\n"


def names(result) -> list[str]:
    return [s["name"] for s in json.loads(result.stdout)["clusters"][0]["services"]]


def test_one_broken_document_is_an_error_entry_and_the_others_are_audited(tmp_path):
    path = tmp_path / "docs.yaml"
    path.write_text("---\n".join([service("a"), "kind: [unclosed\n", service("b"), "a: b: c\n", service("c")]))
    result = run("scan", "-f", str(path), "-o", "json")
    assert result.returncode == 0, result.stderr
    assert names(result) == ["a", "b", "c"]
    assert json.loads(result.stdout)["clusters"][0]["errors"] == [
        {"object": f"{path}#2", "message": "neither JSON nor YAML: unclosed bracket '[', column 7 (line 6)"},
        {"object": f"{path}#4", "message": "neither JSON nor YAML: mapping values are not allowed in this context, "
                                          "column 5 (line 13)"},
    ]


def test_one_broken_item_of_a_yaml_list_is_an_error_entry(tmp_path):
    path = tmp_path / "list.yaml"
    items = "".join("- " + service(n).replace("\n", "\n  ").rstrip() + "\n" for n in ("a", "b", "c"))
    path.write_text("apiVersion: v1\nkind: List\nitems:\n" + items.replace("name: b,", "name: [b,"))
    result = run("scan", "-f", str(path), "-o", "json")
    assert result.returncode == 0, result.stderr
    assert names(result) == ["a", "c"]
    (error,) = json.loads(result.stdout)["clusters"][0]["errors"]
    assert error["object"] == f"{path} items[1]" and "(line 10)" in error["message"]


@pytest.mark.parametrize("content, message", [
    (b"", "no objects in it"),
    (b"# only a comment\n", "no objects in it"),
    (b"kind: [unclosed", "neither JSON nor YAML: unclosed bracket '[', column 7 (line 1)"),
    (b"\xff\xfe\x00garbage", "neither JSON nor YAML: not UTF-8"),
])
def test_a_file_with_nothing_to_audit_exits_2(tmp_path, content, message):
    path = tmp_path / "input"
    path.write_bytes(content)
    result = run("scan", "-f", str(path), "--fail-on", "never")
    assert result.returncode == 2
    assert one_line_error(result).startswith(f"sliceaudit: {path}: {message}")


def test_a_useless_file_next_to_a_good_one_still_exits_2_with_the_good_one_reported(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(service("a"))
    bad.write_text("")
    result = run("scan", "-f", str(good), "-f", str(bad), "-o", "json")
    assert result.returncode == 2
    assert names(result) == ["a"]
    assert one_line_error(result) == f"sliceaudit: {bad}: no objects in it"


def test_a_scan_whose_every_cluster_failed_exits_2_with_a_line_each(tmp_path):
    configs = []
    for name in ("down-1", "down-2"):
        with socket.socket() as s:   # a port nothing listens on
            s.bind(("127.0.0.1", 0))
            configs.append(kubeconfig(name, f"https://127.0.0.1:{s.getsockname()[1]}"))
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(merged_kubeconfig(*configs)))
    result = run("scan", "--kubeconfig", str(path), "--all-contexts", "--fail-on", "never")
    assert result.returncode == 2
    lines = result.stderr.decode().splitlines()
    assert [line.split(":")[0:2] for line in lines] == [["sliceaudit", " cluster down-1"],
                                                        ["sliceaudit", " cluster down-2"]]
    assert all("connection refused by https://127.0.0.1:" in line for line in lines)
