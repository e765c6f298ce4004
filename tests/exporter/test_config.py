"""Settings: listen addresses, flag combinations, and how shards split a fleet."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from exporter.config import ExporterConfig, Listen, parse_listen
from exporter.fleet import fingerprints


@pytest.mark.parametrize("text, expected", [
    ("127.0.0.1:9808", Listen("127.0.0.1", 9808)),
    (":9808", Listen("0.0.0.0", 9808)),
    ("0.0.0.0:0", Listen("0.0.0.0", 0)),
    ("[::1]:9808", Listen("::1", 9808)),
    ("localhost:80", Listen("localhost", 80)),
])
def test_listen_addresses(text, expected):
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9808", "host:", "host:http", "::1:9808", "1.2.3.4:70000"])
def test_bad_listen_addresses(text):
    with pytest.raises(ValueError, match="--listen"):
        parse_listen(text)


@pytest.mark.parametrize("options, message", [
    ({"shard": 2, "total_shards": 2}, "--shard must be between 0 and 1"),
    ({"shard": -1}, "--shard must be between 0 and 0"),
    ({"total_shards": 0}, "--total-shards must be 1 or more"),
    ({"max_series_per_cluster": 3}, "at least 4"),
    ({"max_series_per_cluster": -1}, "--max-series-per-cluster"),
    ({"in_cluster": True, "all_contexts": True}, "--in-cluster cannot be combined"),
    ({"contexts": ("a",), "all_contexts": True}, "exclude each other"),
    ({"eks": ("prod",)}, "REGION/CLUSTER"),
    ({"max_connections": 0}, "--max-connections"),
    ({"reload_interval": -1}, "--reload-interval"),
    ({"reload_interval": float("nan")}, "--reload-interval"),
    ({"list_timeout": 0}, "--list-timeout"),
    ({"list_timeout": float("inf")}, "--list-timeout"),
])
def test_flag_combinations_that_make_no_sense(options, message):
    with pytest.raises(ValueError, match=message):
        ExporterConfig(**options)


NAMES = [f"prod-{region}-{i}" for region in ("eu", "us", "ap") for i in range(12)]


@pytest.mark.parametrize("total", [1, 2, 3, 5])
def test_shards_split_the_fleet_without_gaps_or_overlaps(total):
    owners = {name: [s for s in range(total) if ExporterConfig(shard=s, total_shards=total).owns(name)]
              for name in NAMES}
    assert all(len(shards) == 1 for shards in owners.values())
    used = {shards[0] for shards in owners.values()}
    assert used == set(range(total))  # 36 clusters: every shard gets some


def test_shard_assignment_is_the_same_in_every_replica():
    # A stable hash, not Python's per-process hash(): replicas started apart must agree.
    script = ("import sys; from exporter.config import ExporterConfig as C; "
              "print([n for n in sys.argv[1:] if C(shard=1, total_shards=3).owns(n)])")
    here = str([n for n in NAMES if ExporterConfig(shard=1, total_shards=3).owns(n)])
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", script, *NAMES], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}, timeout=60).stdout.strip()
        assert out == here


def test_kubeconfig_is_the_default_source():
    assert ExporterConfig().uses_kubeconfig
    assert not ExporterConfig(in_cluster=True).uses_kubeconfig
    assert not ExporterConfig(eks=("eu-west-1/prod",)).uses_kubeconfig
    assert ExporterConfig(in_cluster=True, kubeconfig="/k").uses_kubeconfig


KUBECONFIG = {
    "clusters": [{"name": "eu", "cluster": {"server": "https://eu.example"}},
                 {"name": "us", "cluster": {"server": "https://us.example", "certificate-authority": "ca.crt"}}],
    "users": [{"name": "eu", "user": {"token": "one"}}, {"name": "us", "user": {"token": "two"}}],
    "contexts": [{"name": "eu", "context": {"cluster": "eu", "user": "eu"}},
                 {"name": "us", "context": {"cluster": "us", "user": "us"}}],
}


def _edited(change):
    doc = json.loads(json.dumps(KUBECONFIG))
    change(doc)
    return doc


@pytest.mark.parametrize("what, change, changed", [
    ("nothing", lambda d: None, set()),
    ("eu's token rotated", lambda d: d["users"][0]["user"].update(token="new"), {"eu"}),
    ("us moved to another server", lambda d: d["clusters"][1]["cluster"].update(server="https://us2.example"),
     {"us"}),
    ("us's CA file rewritten", "touch ca.crt", {"us"}),
    ("a context added", lambda d: d["contexts"].append({"name": "ap", "context": {"cluster": "eu", "user": "eu"}}),
     {"ap"}),
    ("us removed", lambda d: d["contexts"].pop(), {"us"}),
    ("current-context changed", lambda d: d.update({"current-context": "us"}), set()),
    ("entries of the wrong type", lambda d: d.update(users="nope", contexts=[None, 3, {"name": ["x"]}]),
     {"eu", "us"}),
])
def test_a_contexts_fingerprint_changes_with_what_reaching_it_depends_on(tmp_path, what, change, changed):
    path = tmp_path / "kubeconfig"
    (tmp_path / "ca.crt").write_text("old")
    path.write_text(yaml.safe_dump(KUBECONFIG))
    before = fingerprints(str(path))
    if change == "touch ca.crt":
        os.utime(tmp_path / "ca.crt", ns=(1, 1))
    else:
        path.write_text(yaml.safe_dump(_edited(change)))
    after = fingerprints(str(path))
    assert {n for n in before.keys() | after.keys() if before.get(n) != after.get(n)} == changed, what


@pytest.mark.parametrize("content", [b"", b"clusters: [unfinished", b"- a list\n", b"\xff\xfe", b"a: &x [*x]",
                                     b"contexts: [&y {name: a, context: *y}]",
                                     b"contexts: [{name: a, context: &c [" + b",".join([b"*c"] * 30) + b"]}]",
                                     b"[" * 100_000])
def test_fingerprints_of_a_broken_kubeconfig_are_empty_not_an_error(tmp_path, content):
    (tmp_path / "kubeconfig").write_bytes(content)
    assert set(fingerprints(str(tmp_path / "kubeconfig"))) <= {"a"}
    assert fingerprints(str(tmp_path / "missing")) == {}
