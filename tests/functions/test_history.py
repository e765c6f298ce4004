"""Findings history: what an SRE reads back — since when a Service is broken, and when it was fixed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fleetaws.history import plan_history
from sliceaudit.audit.report import ClusterReport, Finding, ServiceReport

T1 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
T2 = datetime(2025, 1, 1, 12, 30, tzinfo=UTC)


def svc(name: str, status: str, code: str = "NULL_PORTS", ns: str = "shop") -> ServiceReport:
    findings = [] if status == "ok" else [Finding(code=code, message=f"{name} is {status}", slices=["s1"],
                                                  endpoints=2, addresses=["10.0.0.1", "10.0.0.2"])]
    return ServiceReport(ns, name, status, 4, 2 if status != "ok" else 0, 0, [], findings)


def run(services, known=(), run_id="r2", now=T2):
    return plan_history("c1", ClusterReport("c1", list(services)), list(known), run_id=run_id, now=now,
                        resolved_retention_days=90)


def open_item(name: str, status: str, first="2025-01-01T12:00:00Z", run_id="r1", **extra):
    return {"pk": "SVC#c1", "sk": f"shop/{name}", "cluster": "c1", "namespace": "shop", "service": name,
            "status": status, "first_seen": first, "last_seen": first, "last_run": run_id, "episodes": 1,
            "codes": ["NULL_PORTS"], **({"outage_since": first} if status == "outage" else {}), **extra}


def by_sk(update):
    return {i["sk"]: i for i in update.items}


def test_healthy_services_cost_no_writes():
    assert run([svc("a", "ok"), svc("b", "ok")]).items == ()


def test_a_newly_broken_service_is_first_seen_now():
    update = run([svc("a", "outage"), svc("b", "degraded", "PORT_MISSING")])
    items = by_sk(update)
    assert items["shop/a"]["first_seen"] == items["shop/a"]["last_seen"] == "2025-01-01T12:30:00Z"
    assert items["shop/a"]["status"] == "outage" and items["shop/a"]["codes"] == ["NULL_PORTS"]
    assert items["shop/b"]["codes"] == ["PORT_MISSING"] and "resolved_at" not in items["shop/b"]
    assert [s.name for s in update.new_outages] == ["a"]
    assert update.first_seen == {"shop/a": "2025-01-01T12:30:00Z", "shop/b": "2025-01-01T12:30:00Z"}


@pytest.mark.parametrize("before, now, new_outage", [
    ("degraded", "degraded", False),
    ("degraded", "outage", True),     # a degraded Service losing its last backend is news
    ("outage", "outage", False),      # still the same outage: no second alert
    ("outage", "degraded", False),
])
def test_a_service_still_broken_keeps_its_first_seen(before, now, new_outage):
    update = run([svc("a", now)], [open_item("a", before)])
    item = by_sk(update)["shop/a"]
    assert item["first_seen"] == "2025-01-01T12:00:00Z" and item["last_seen"] == "2025-01-01T12:30:00Z"
    assert item["status"] == now and item["episodes"] == 1
    assert bool(update.new_outages) is new_outage


@pytest.mark.parametrize("present, resolution", [(True, "ok"), (False, "gone")])
def test_a_service_back_to_ok_or_gone_is_resolved_and_expires(present, resolution):
    update = run([svc("a", "ok")] if present else [], [open_item("a", "outage")])
    item = by_sk(update)["shop/a"]
    assert item["resolved_at"] == "2025-01-01T12:30:00Z" and item["status"] == "ok"
    assert item["last_status"] == "outage" and item["resolution"] == resolution
    assert item["first_seen"] == "2025-01-01T12:00:00Z"
    assert item["expires_at"] == int(datetime(2025, 4, 1, 12, 30, tzinfo=UTC).timestamp())
    assert update.resolved == ("shop/a",)


def test_a_resolved_service_that_breaks_again_opens_a_new_episode():
    resolved = open_item("a", "ok", resolved_at="2025-01-01T12:10:00Z", expires_at=1)
    item = by_sk(run([svc("a", "outage")], [resolved]))["shop/a"]
    assert item["first_seen"] == "2025-01-01T12:30:00Z" and item["episodes"] == 2
    assert "resolved_at" not in item and "expires_at" not in item


def test_resolved_items_are_not_written_again():
    resolved = open_item("a", "ok", resolved_at="2025-01-01T12:10:00Z")
    assert run([svc("a", "ok")], [resolved]).items == ()


def test_a_late_scan_of_an_older_run_changes_nothing_a_newer_run_wrote():
    newer = open_item("a", "outage", run_id="r3")
    assert run([svc("a", "ok")], [newer], run_id="r2").items == ()
    assert run([svc("a", "degraded")], [newer], run_id="r2").items == ()


def test_the_same_run_applied_twice_gives_the_same_items():
    first = run([svc("a", "outage"), svc("b", "ok")], [open_item("b", "degraded")])
    again = run([svc("a", "outage"), svc("b", "ok")], [i for i in first.items])
    assert again.new_outages == () and again.resolved == ()
    assert by_sk(again)["shop/a"]["first_seen"] == by_sk(first)["shop/a"]["first_seen"]
