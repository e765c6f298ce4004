"""A user's kubeconfig of the wrong shape: one line naming what is wrong, exit 2, never a traceback.

The CLI runs as a subprocess on each file, with --all-contexts and with the current context.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SLICEAUDIT = str(Path(sys.executable).with_name("sliceaudit"))
GOOD = {"current-context": "c", "contexts": [{"name": "c", "context": {"cluster": "c", "user": "c"}}],
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
        "users": [{"name": "c", "user": {"token": "t"}}]}


def with_(**changes) -> str:
    return yaml.safe_dump({**GOOD, **changes})


CASES = {
    "a list": ("- a\n- b\n", "not a kubeconfig (a mapping), but a list"),
    "a string": ("just text\n", "not a kubeconfig (a mapping), but a string"),
    "a number": ("42\n", "not a kubeconfig (a mapping), but a number"),
    "empty": ("", "not a kubeconfig (a mapping), but empty"),
    "not YAML": ("clusters: [unclosed\n", "not valid YAML"),
    "contexts a mapping": (with_(contexts={"c": {}}), "contexts must be a list, not a mapping"),
    "context a string": (with_(contexts=["c"]), "contexts[0] must be a mapping with a name"),
    "context name a list": (with_(contexts=[{"name": ["c"]}]), "contexts[0] must be a mapping with a name"),
    "context body a list": (with_(contexts=[{"name": "c", "context": ["c"]}]), "context must be a mapping"),
    "users a string": (with_(users="c"), "users must be a list, not a string"),
    "user a list": (with_(users=[{"name": "c", "user": ["t"]}]), "user must be a mapping, not a list"),
    "token a number": (with_(users=[{"name": "c", "user": {"token": 5}}]), "user.token must be a string"),
    "server a mapping": (with_(clusters=[{"name": "c", "cluster": {"server": {"url": "x"}}}]),
                         "cluster.server must be a string"),
    "exec a list": (with_(users=[{"name": "c", "user": {"exec": ["aws"]}}]), "user.exec must be a mapping"),
    "exec env a mapping": (with_(users=[{"name": "c", "user": {"exec": {"command": "aws", "env": {"A": "1"}}}}]),
                           "user.exec.env must be a list"),
    "current-context a list": (with_(**{"current-context": ["c"]}), "current-context must be a string"),
    "deeply nested": ("[" * 5000 + "]" * 5000 + "\n", "not valid YAML"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_kubeconfig_of_the_wrong_shape_is_one_line(tmp_path, case):
    text, message = CASES[case]
    path = tmp_path / "config"
    path.write_text(text)
    select = ["--all-contexts"] if len(case) % 2 else []   # both ways of picking contexts check the shape
    result = subprocess.run([SLICEAUDIT, "scan", "--kubeconfig", str(path), *select], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("sliceaudit: kubeconfig") and message in line


def test_the_second_file_of_kubeconfig_is_named(tmp_path):
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.write_text(yaml.safe_dump(GOOD))
    bad.write_text("- not a mapping\n")
    result = subprocess.run([SLICEAUDIT, "scan", "--all-contexts"], capture_output=True, text=True, timeout=60,
                            env={"KUBECONFIG": f"{good}:{bad}", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"sliceaudit: kubeconfig {bad}: not a kubeconfig (a mapping), but a list"
