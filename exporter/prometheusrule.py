"""Writes the PrometheusRule manifest from exporter/alerts/sliceaudit.rules.yml, the rules' one source.

    .venv/bin/python -m exporter.prometheusrule > exporter/manifests/prometheusrule.yaml
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

RULES = Path(__file__).parent / "alerts" / "sliceaudit.rules.yml"
HEADER = ("# Generated from exporter/alerts/sliceaudit.rules.yml by `python -m exporter.prometheusrule`:\n"
          "# edit the rules file, then regenerate (tests/exporter/test_manifests.py checks they agree).\n")


def prometheus_rule(rules_text: str) -> dict:
    groups = yaml.safe_load(rules_text)["groups"]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "sliceaudit", "namespace": "sliceaudit",
                     "labels": {"app.kubernetes.io/name": "sliceaudit-exporter"}},
        "spec": {"groups": groups},
    }


def render(rules_text: str) -> str:
    return HEADER + yaml.safe_dump(prometheus_rule(rules_text), sort_keys=False, width=1000,
                                   allow_unicode=True)


def main() -> int:
    sys.stdout.write(render(RULES.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
