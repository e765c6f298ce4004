"""The report's terms (audit/terms.py) read the same as the published schema, docs/report.schema.json."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from sliceaudit.audit import terms
from sliceaudit.consumers.model import EffectKind

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text())
DEFS = SCHEMA["$defs"]

# (term, its values in declaration order, what the schema lists in the same order)
CASES = [
    ("schema id", [terms.SCHEMA], [SCHEMA["properties"]["schema"]["const"]]),
    ("schema $id", [terms.SCHEMA], [SCHEMA["$id"]]),
    ("Service status, rising severity", list(terms.STATUSES), DEFS["service"]["properties"]["status"]["enum"]),
    ("finding codes", list(terms.Code),
     DEFS["service"]["properties"]["findings"]["items"]["properties"]["code"]["examples"]),
    ("consumer finding codes", list(terms.ConsumerCode),
     DEFS["consumer"]["properties"]["findings"]["items"]["properties"]["code"]["enum"]),
    ("consumer effect kinds", list(EffectKind),
     DEFS["impact"]["properties"]["effects"]["items"]["properties"]["kind"]["enum"]),
]


@pytest.mark.parametrize(("term", "ours", "published"), CASES, ids=[c[0] for c in CASES])
def test_terms_match_the_published_schema(term, ours, published):
    assert [str(v) for v in ours] == published


def test_status_members_are_declared_in_rising_severity():
    assert terms.STATUSES == (terms.Status.OK, terms.Status.DEGRADED, terms.Status.OUTAGE)


def test_the_terms_module_imports_nothing_of_sliceaudit():
    """The simulator's ground truth imports it: it must carry names, not the audit's logic."""
    tree = ast.parse((ROOT / "shared" / "sliceaudit" / "audit" / "terms.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"__future__", "enum"}
