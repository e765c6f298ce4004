"""Findings history in DynamoDB: one item per (cluster, namespace, Service) that has been broken.

An item opens when a Service is first seen degraded or in outage, follows it while it stays broken
(status, counts, codes, last_seen) and gets resolved_at, plus a TTL, when the Service is back to ok
or gone. Only broken Services are written, so a fleet of healthy Services costs no writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fleetaws.dynamo import batch_put, query_all
from sliceaudit.audit.report import ClusterReport, ServiceReport
from sliceaudit.audit.terms import Status


def history_pk(cluster: str) -> str:
    return f"SVC#{cluster}"


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def expiry(now: datetime, days: int) -> int:
    """The DynamoDB TTL (epoch seconds) `days` after `now`."""
    return int((now + timedelta(days=days)).timestamp())


@dataclass(frozen=True)
class HistoryUpdate:
    items: tuple[dict[str, Any], ...]    # the items to write
    new_outages: tuple[ServiceReport, ...]  # Services that went into outage in this scan
    resolved: tuple[str, ...]            # "namespace/name" of Services back to ok (or gone)
    first_seen: dict[str, str]           # "namespace/name" -> when its current problem was first seen


def codes_of(service: ServiceReport) -> list[str]:
    return sorted({f.code for f in service.findings})


def plan_history(cluster: str, report: ClusterReport, known: Iterable[Mapping[str, Any]], *, run_id: str,
                 now: datetime, resolved_retention_days: int) -> HistoryUpdate:
    """The history items one cluster scan writes, given the cluster's items so far. Pure."""
    previous = {item["sk"]: item for item in known}
    stamp = iso(now)
    items, new_outages, resolved, first_seen = [], [], [], {}
    present = {f"{s.namespace}/{s.name}": s.status for s in report.services}
    for svc in report.services:
        sk = f"{svc.namespace}/{svc.name}"
        prev = previous.get(sk)
        if svc.status == Status.OK or (prev is not None and prev.get("last_run", "") > run_id):
            continue  # healthy, or a later run already wrote this Service (a late, redelivered scan)
        is_open = prev is not None and "resolved_at" not in prev
        item = {
            "pk": history_pk(cluster), "sk": sk, "kind": "service",
            "cluster": cluster, "namespace": svc.namespace, "service": svc.name,
            "status": svc.status, "endpoints": svc.endpoints,
            "null_port_endpoints": svc.null_port_endpoints, "port_zero_endpoints": svc.port_zero_endpoints,
            "codes": codes_of(svc), "last_seen": stamp, "last_run": run_id,
            "first_seen": prev["first_seen"] if is_open else stamp,
            "episodes": int(prev.get("episodes", 1)) + (0 if is_open else 1) if prev else 1,
        }
        hit = sorted({f"{i.consumer} {i.version}" for i in svc.impact})
        if hit:
            item["consumers_hit"] = hit   # the proxies in use that route it differently from kube-proxy
        was_outage = is_open and prev.get("status") == Status.OUTAGE
        if svc.status == Status.OUTAGE:
            item["outage_since"] = prev.get("outage_since", stamp) if was_outage else stamp
            if not was_outage:
                new_outages.append(svc)
        items.append(item)
        first_seen[sk] = item["first_seen"]
    expires = expiry(now, resolved_retention_days)
    for sk, prev in previous.items():
        if "resolved_at" in prev or prev.get("last_run", "") > run_id or present.get(sk, Status.OK) != Status.OK:
            continue
        item = {k: v for k, v in prev.items() if k != "outage_since"}
        item.update(status=Status.OK, last_status=prev.get("status"), resolved_at=stamp, last_run=run_id,
                    resolution="ok" if sk in present else "gone", expires_at=expires)
        items.append(item)
        resolved.append(sk)
    return HistoryUpdate(tuple(items), tuple(new_outages), tuple(resolved), first_seen)


def known_items(dynamodb, table: str, cluster: str) -> list[dict]:
    """Every history item of a cluster, open or resolved (resolved ones leave with their TTL)."""
    return query_all(dynamodb, TableName=table, ConsistentRead=True,
                     KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": history_pk(cluster)}})


def update_history(dynamodb, table: str, cluster: str, report: ClusterReport, *, run_id: str, now: datetime,
                   resolved_retention_days: int) -> HistoryUpdate:
    update = plan_history(cluster, report, known_items(dynamodb, table, cluster), run_id=run_id, now=now,
                          resolved_retention_days=resolved_retention_days)
    batch_put(dynamodb, table, update.items)
    return update
