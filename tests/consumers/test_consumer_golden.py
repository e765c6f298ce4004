"""Golden shapes x consumer versions: what each model routes to, and its effects, per the consumer's source.

Expected results live in tests/consumers/golden/<consumer module>.yaml (each names the source
file and version it follows); a behaviour's expectation is under its label, or under "*" when
every version of that consumer agrees.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from consumers_testkit import matrix_script

from sliceaudit.consumers.model import Outcome
from sliceaudit.consumers.registry import CONSUMERS

GOLDEN = Path(__file__).parent / "golden"
SHAPES = matrix_script().load_shapes(GOLDEN / "shapes.yaml")


def expectations(consumer) -> dict:
    module = sys.modules[consumer.behaviours[0].model.__module__].__name__.rsplit(".", 1)[1]
    data = yaml.safe_load((GOLDEN / f"{module}.yaml").read_text())
    assert data["consumer"] == consumer.name
    return data["cases"]


def observed(outcome: Outcome) -> dict:
    out = {"backends": {p.name or "(unnamed)": list(p.backends) for p in outcome.ports},
           "effects": [e.kind.value if e.port is None else f"{e.kind.value}:{e.port or '(unnamed)'}"
                       for e in outcome.effects]}
    if not outcome.reads_slices:
        out["reads_slices"] = False
    return out


CASES = [(c, b, s) for c in CONSUMERS for b in c.behaviours for s in SHAPES]


@pytest.mark.parametrize("consumer,behaviour,shape", CASES,
                         ids=[f"{c.name}[{b.label}]-{s.name}" for c, b, s in CASES])
def test_model_matches_golden(consumer, behaviour, shape):
    cases = expectations(consumer).get(shape.name, {})
    expected = cases.get(behaviour.label, cases.get("*"))
    assert expected is not None, f"{consumer.name} {behaviour.label!r} has no expected result for {shape.name}"
    assert observed(behaviour.model(shape.service, shape.slices)) == expected


def test_every_registered_consumer_has_every_golden_case():
    """A new consumer (or a new shape) cannot land without its expected results."""
    missing = []
    for consumer in CONSUMERS:
        try:
            cases = expectations(consumer)
        except FileNotFoundError:
            missing.append(f"{consumer.name}: no golden file")
            continue
        for behaviour in consumer.behaviours:
            for shape in SHAPES:
                per = cases.get(shape.name, {})
                if behaviour.label not in per and "*" not in per:
                    missing.append(f"{consumer.name} {behaviour.label!r}: {shape.name}")
        stale = set(cases) - {s.name for s in SHAPES}
        missing.extend(f"{consumer.name}: case {name} is no shape" for name in sorted(stale))
    assert not missing, missing


def test_the_kube_proxy_golden_agrees_with_the_audit():
    """The reference model is the audit's own resolution: its backends are the report's."""
    from sliceaudit.audit.cluster import audit_service

    (kube_proxy,) = [c for c in CONSUMERS if c.name == "kube-proxy"]
    for shape in SHAPES:
        report = audit_service(shape.service, shape.slices)
        outcome = kube_proxy.behaviours[0].model(shape.service, shape.slices)
        assert [p.backends for p in report.ports] == [list(p.backends) for p in outcome.ports], shape.name
