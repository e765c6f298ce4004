"""Faults a test can inject into the simulated API server: error statuses, throttling, expired
continue tokens, slow responses and watch streams cut off in the middle of an event."""

from __future__ import annotations

import threading
from dataclasses import dataclass

REQUEST_KINDS = ("any", "list", "watch", "get", "continue")


@dataclass
class Fault:
    path_prefix: str = "/"
    status: int | None = None  # answer with this code and a Status body
    times: int | None = 1  # requests it applies to; None = until removed
    retry_after: int | None = None  # seconds, sent as Retry-After and details.retryAfterSeconds
    delay: float = 0.0  # seconds to wait before answering (or before the watch stream starts)
    on: str = "any"  # which requests: any, list, watch, get, continue (list pages after the first)
    drop_after: int | None = None  # watch: send this many events, then half of the next line, then cut
    resource: str | None = None  # a plural ("endpointslices"): any scope, any namespace
    reason: str | None = None
    message: str | None = None
    hits: int = 0

    def matches(self, path: str, plural: str | None, kind: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.resource is not None and self.resource != plural:
            return False
        if not path.startswith(self.path_prefix):
            return False
        return self.on == "any" or self.on == kind or (self.on == "list" and kind == "continue")


class Faults:
    """The server's fault table: the first matching fault applies, and is used up after `times`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, path_prefix: str = "/", status: int | None = None, times: int | None = 1, *,
            retry_after: int | None = None, delay: float = 0.0, on: str = "any", drop_after: int | None = None,
            resource: str | None = None, reason: str | None = None, message: str | None = None) -> Fault:
        if on not in REQUEST_KINDS:
            raise ValueError(f"on must be one of {', '.join(REQUEST_KINDS)}")
        if status is None and drop_after is None and not delay:
            raise ValueError("a fault needs a status, a delay or drop_after")
        if drop_after is not None and on not in ("any", "watch"):
            raise ValueError("drop_after applies to watch requests")
        fault = Fault(path_prefix, status, times, retry_after, delay, on, drop_after, resource, reason, message)
        if drop_after is not None and on == "any":
            fault.on = "watch"
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, path: str, plural: str | None, kind: str) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if f.matches(path, plural, kind):
                    f.hits += 1
                    return f
        return None

    def remove(self, fault: Fault) -> None:
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)
