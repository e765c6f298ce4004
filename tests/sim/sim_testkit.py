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
