"""Helpers for the simulator tests: a kubernetes client for a server, and raw watch streams."""

from __future__ import annotations

import json

from kubernetes import client as k8s


def api_client(server, token: str | None = None) -> k8s.ApiClient:
    """The real kubernetes client with its own Configuration (never the process-wide default)."""
    config = k8s.Configuration()
    config.host = server.url
    config.ssl_ca_cert = server.ca_file
    config.api_key = {"authorization": f"Bearer {server.token if token is None else token}"}
    config.retries = False
    return k8s.ApiClient(config)


def watch_events(response, limit: int | None = None) -> list[dict]:
    """Decoded events of a raw (`_preload_content=False`) watch response, until it ends or `limit`."""
    events = []
    try:
        for line in response:
            if line.strip():
                events.append(json.loads(line))
                if limit is not None and len(events) >= limit:
                    break
    finally:
        response.release_conn()
    return events


def names(items) -> list[str]:
    return [i.metadata.name for i in items]


def core_audit(name: str, objects: dict[str, list[dict]]) -> dict:
    """The lead's audit of raw objects, as a dict: the oracle's truth must agree with it."""
    import msgspec

    from sliceaudit.api.decode import KINDS, decode_object
    from sliceaudit.api.snapshot import Snapshot
    from sliceaudit.audit.cluster import audit_cluster

    # Endpoints are the mirroring controller's input: the audit reads the slices made from them.
    records = [decode_object(kind, obj) for kind, objs in objects.items() if kind in KINDS for obj in objs]
    return msgspec.to_builtins(audit_cluster(name, Snapshot.of(records)))


def without_messages(report: dict) -> dict:
    """A cluster report minus the findings' prose, which the oracle words its own way, and minus what
    the proxies in use make of it (the oracle judges kube-proxy's view; tests/consumers judge theirs)."""
    return {**{k: v for k, v in report.items() if k != "consumers"}, "services": [
        {**{k: v for k, v in s.items() if k != "impact"},
         "findings": [{k: v for k, v in f.items() if k != "message"} for f in s["findings"]]}
        for s in report["services"]]}


def objects_of(sim) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for (kind, _, _), obj in sim.render().items():
        out.setdefault(kind, []).append(obj)
    return out
