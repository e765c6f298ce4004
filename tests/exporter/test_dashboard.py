"""The Grafana dashboard parses and asks only for series the exporter serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

from exporter.metrics.families import ALL_FAMILIES

DASHBOARD = Path(__file__).resolve().parents[2] / "exporter" / "dashboards" / "sliceaudit.json"


def panels(dash: dict) -> list[dict]:
    out = []
    for p in dash["panels"]:
        out.append(p)
        out.extend(p.get("panels", ()))
    return out


def expressions(dash: dict) -> list[str]:
    exprs = [t["expr"] for p in panels(dash) for t in p.get("targets", ())]
    for var in dash["templating"]["list"]:
        if var["type"] == "query":
            exprs.append(var["query"]["query"] if isinstance(var["query"], dict) else var["query"])
    return exprs


def test_dashboard_is_json_with_a_stable_uid():
    dash = json.loads(DASHBOARD.read_text())
    assert dash["uid"] == "sliceaudit-fleet"
    ids = [p["id"] for p in panels(dash)]
    assert len(ids) == len(set(ids))


def test_queries_reference_real_metric_names():
    served = {f.name for f in ALL_FAMILIES}
    used = set()
    for expr in expressions(json.loads(DASHBOARD.read_text())):
        names = set(re.findall(r"\bsliceaudit_[a-z_]+", expr))
        assert names, expr
        used |= names
    assert used <= served, used - served
    # The BRIEF's per-Service gauges all appear somewhere.
    assert {"sliceaudit_service_outage", "sliceaudit_null_port_endpoints", "sliceaudit_port_zero_endpoints",
            "sliceaudit_endpoints", "sliceaudit_cluster_up"} <= used


def test_dashboard_has_a_fleet_overview_an_outage_list_and_a_trend():
    dash = json.loads(DASHBOARD.read_text())
    by_title = {p["title"]: p for p in panels(dash)}
    assert by_title["Fleet overview"]["type"] == "row"
    assert by_title["Services in outage"]["type"] == "table"
    assert "sliceaudit_service_outage" in by_title["Services in outage"]["targets"][0]["expr"]
    assert by_title["Services in outage by cluster"]["type"] == "timeseries"
    # Every query is filtered by the cluster picker, except the exporter's own timing.
    for p in panels(dash):
        for t in p.get("targets", ()):
            assert 'cluster=~"$cluster"' in t["expr"] or "scrape_duration" in t["expr"], t["expr"]


def test_the_docs_describe_every_metric_family():
    docs = (DASHBOARD.parents[2] / "docs" / "exporter.md").read_text()
    assert [f.name for f in ALL_FAMILIES if f"`{f.name}" not in docs] == []
