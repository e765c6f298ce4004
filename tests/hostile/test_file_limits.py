"""File input is bounded: a size limit (raisable), reads in chunks, YAML aliases and nesting capped."""

from __future__ import annotations

import json

import pytest

from hostile.cli_runner import one_line_error, run

# The classic "billion laughs": 9 aliases per level, 9 levels, a few hundred bytes of text.
LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9))


def service(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "n"},
            "spec": {"ports": [{"port": 80}]}}


def test_an_endless_device_is_refused_at_the_size_limit():
    result = run("scan", "-f", "/dev/zero", "--max-input-mb", "8")
    assert result.returncode == 2
    assert one_line_error(result) == "sliceaudit: /dev/zero is larger than 8 MB (raise the limit with --max-input-mb)"


def test_standard_input_is_bounded_too():
    result = run("scan", "-f", "-", "--max-input-mb", "1", stdin=b"#" * (2 * 1024 * 1024))
    assert result.returncode == 2
    assert "<stdin> is larger than 1 MB" in one_line_error(result)


def test_the_limit_can_be_raised(tmp_path):
    path = tmp_path / "big.json"
    items = [service(f"s{i}") for i in range(20_000)]   # about 2 MB
    path.write_text(json.dumps({"kind": "List", "items": items}))
    assert run("scan", "-f", str(path), "--max-input-mb", "1").returncode == 2
    result = run("scan", "-f", str(path), "--max-input-mb", "3", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["clusters"][0]["services"]) == 20_000


@pytest.mark.parametrize("copies", [1, 50])
def test_alias_amplification_is_refused(tmp_path, copies):
    # One bomb, or many documents of them: the alias budget is the file's, not each document's.
    path = tmp_path / "laughs.yaml"
    path.write_text("---\n".join([LAUGHS] * copies))
    assert len(LAUGHS) < 4000
    result = run("scan", "-f", str(path), "-o", "json", timeout=30)
    assert result.returncode == 2
    errors = json.loads(result.stdout)["clusters"][0]["errors"]
    assert errors and all("aliases expand past 1,000,000 nodes (the limit)" in e["message"] for e in errors)


def test_a_few_honest_aliases_are_read(tmp_path):
    path = tmp_path / "aliases.yaml"
    path.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: n, labels: &l {app: web}}\n"
                    "spec: {selector: *l, ports: [{port: 80}]}\n")
    result = run("scan", "-f", str(path), "-o", "json")
    assert result.returncode == 0, result.stderr
    assert [s["name"] for s in json.loads(result.stdout)["clusters"][0]["services"]] == ["web"]
