"""The alert rules, their unit tests and the Alertmanager example, checked by the real promtool and amtool."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from exporter.metrics.families import ALL_FAMILIES

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "exporter" / "alerts"
RULES = ALERTS / "sliceaudit.rules.yml"
RUNBOOK = ROOT / "docs" / "runbook.md"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (bash scripts/install-tools.sh)")
    return path


def run(*args: str, cwd: Path = ROOT) -> str:
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def alerts() -> list[dict]:
    return [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


def test_promtool_check_rules():
    assert "SUCCESS" in run(tool("promtool"), "check", "rules", str(RULES))


def test_promtool_unit_tests_fire_pend_and_resolve():
    files = sorted(p.name for p in (ALERTS / "tests").glob("*.test.yml"))
    assert files
    out = run(tool("promtool"), "test", "rules", *files, cwd=ALERTS / "tests")
    assert out.count("SUCCESS") == len(files)


def test_every_alert_has_a_unit_test():
    tested = set()
    for path in (ALERTS / "tests").glob("*.test.yml"):
        for case in yaml.safe_load(path.read_text())["tests"]:
            for t in case.get("alert_rule_test", ()):
                if t["exp_alerts"]:
                    tested.add(t["alertname"])
    assert {a["alert"] for a in alerts()} <= tested


def test_alerts_follow_the_mixin_conventions():
    headings = {_anchor(m) for m in re.findall(r"^#+ (.+)$", RUNBOOK.read_text(), re.M)}
    for a in alerts():
        assert re.fullmatch(r"SliceAudit[A-Z][A-Za-z]+", a["alert"]), a["alert"]
        assert a["labels"]["severity"] in ("critical", "warning"), a["alert"]
        assert set(a["annotations"]) == {"summary", "description", "runbook_url"}, a["alert"]
        url, _, anchor = a["annotations"]["runbook_url"].partition("#")
        assert url.endswith("docs/runbook.md") and anchor in headings, a["alert"]


def test_the_outage_alert_pages_and_the_port_alerts_warn():
    severity = {a["alert"]: a["labels"]["severity"] for a in alerts()}
    assert severity["SliceAuditServiceOutage"] == "critical"
    assert severity["SliceAuditNullPortEndpoints"] == "warning"
    assert severity["SliceAuditPortZeroEndpoints"] == "warning"


def test_rules_use_only_metrics_the_exporter_serves():
    served = {f.name for f in ALL_FAMILIES} | {"up"}
    for a in alerts():
        used = set(re.findall(r"\b(sliceaudit_[a-z_]+|up)\b(?=\s*[{=!<>)\[ ]|$)", a["expr"]))
        assert used and used <= served, (a["alert"], used - served)


def test_alertmanager_example_is_valid():
    assert "SUCCESS" in run(tool("amtool"), "check-config", str(ALERTS / "alertmanager.example.yml"))


@pytest.mark.parametrize("labels, receiver", [
    (["severity=critical", "alertname=SliceAuditServiceOutage"], "oncall-pager"),
    (["severity=critical", "alertname=SliceAuditExporterDown"], "oncall-pager"),
    (["severity=warning", "alertname=SliceAuditNullPortEndpoints"], "team-channel"),
    (["severity=warning", "alertname=SliceAuditClusterDown"], "team-channel"),
])
def test_critical_alerts_page_on_call_and_warnings_go_to_the_team(labels, receiver):
    run(tool("amtool"), "config", "routes", "test", f"--config.file={ALERTS / 'alertmanager.example.yml'}",
        f"--verify.receivers={receiver}", *labels)


def _anchor(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
