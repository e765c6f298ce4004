"""Run ids: the schedule's time when there is one, so a retried schedule plans the same run again."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

SAFE_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class BadRunId(ValueError):
    pass


def _stamp(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def run_id_for(event: Any, now: datetime) -> str:
    """From {"run_id"}, a Scheduler {"scheduled_time"} or an EventBridge {"time"}; else now plus a nonce.

    Ids sort by time, so S3 keys list runs in order and a late message is recognised as stale.
    """
    event = event if isinstance(event, Mapping) else {}
    explicit = event.get("run_id")
    if explicit is not None:
        if not isinstance(explicit, str) or not SAFE_RUN_ID.match(explicit):
            raise BadRunId("run_id must be 1-64 letters, digits, '.', '_' or '-'")
        return explicit
    for field in ("scheduled_time", "time"):
        value = event.get(field)
        if isinstance(value, str):
            try:
                return _stamp(datetime.fromisoformat(value.replace("Z", "+00:00")))
            except ValueError:
                pass
    return f"{_stamp(now)}-{secrets.token_hex(3)}"
