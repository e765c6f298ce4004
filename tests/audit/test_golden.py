"""Golden fixtures: objects in, expected report out, one file per rule of the BRIEF."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
import yaml

from sliceaudit.api.decode import decode_documents
from sliceaudit.api.snapshot import Snapshot
from sliceaudit.audit.cluster import audit_cluster

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.yaml"))


def run_case(path: Path):
    case = yaml.safe_load(path.read_text())
    records, errors = decode_documents((f"objects[{i}]", o) for i, o in enumerate(case["objects"]))
    report = audit_cluster("golden", Snapshot.of(records, errors))
    return case["expect"], msgspec.to_builtins(report)


def matches(actual, expected, where: str) -> None:
    """Every expected key must match; `message_contains` checks substrings of `message`."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for key, want in expected.items():
            if key == "message_contains":
                for part in want:
                    assert part in actual["message"], f"{where}.message lacks {part!r}: {actual['message']}"
            elif key == "findings" and not want:
                assert actual.get(key, []) == [], f"{where}.findings"
            else:
                assert key in actual, f"{where}: no field {key}"
                matches(actual[key], want, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            matches(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden(path):
    expected, report = run_case(path)
    matches(report["services"], expected["services"], "services")
    matches(report["errors"], expected.get("errors", []), "errors")
