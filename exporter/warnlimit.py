"""Warnings about bad objects, at most a few per cluster and resource per interval; the rest are counted.

A watch stream of garbage, or a controller that writes thousands of malformed objects, must not
turn into one log line each (157k lines in 90 s were seen): the first `burst` warnings of each
(cluster, resource) in an interval are logged, the others only counted, and `flush()` (called
periodically) logs one summary line per key that had some suppressed. Memory is one small window
per (cluster, resource), whatever the objects are called; `sliceaudit_objects_rejected_total`
still counts every one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sliceaudit.kube.errors import one_line
from sliceaudit.render.table import printable as escaped

log = logging.getLogger("exporter.watchers")

BURST = 5           # warnings logged per cluster and resource per interval
INTERVAL = 60.0     # seconds


@dataclass
class _Window:
    start: float
    logged: int = 0
    suppressed: int = 0


class WarningLimiter:
    """Rate-limits warnings per (cluster, resource); thread-safe."""

    def __init__(self, burst: int = BURST, interval: float = INTERVAL, *,
                 clock: Callable[[], float] = time.monotonic, logger: logging.Logger = log):
        self.burst, self.interval = burst, interval
        self._clock, self._log = clock, logger
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}

    def warn(self, cluster: str, resource: str, message: str) -> None:
        """Logs `message` (escaped, one line) unless this key's budget for the interval is spent."""
        key, now = (cluster, resource), self._clock()
        with self._lock:
            window = self._windows.get(key)
            if window is None or now - window.start >= self.interval:
                if window is not None:
                    self._summary(key, window, now)
                window = self._windows[key] = _Window(now)
            if window.logged >= self.burst:
                window.suppressed += 1
                return
            window.logged += 1
        self._log.warning("cluster %s %s: %s", printable(cluster), resource, printable(message))

    def flush(self, *, everything: bool = False) -> None:
        """Summarises the windows that ended (`everything`: all of them, at exit) and forgets them."""
        now = self._clock()
        with self._lock:
            for key, window in list(self._windows.items()):
                if everything or now - window.start >= self.interval:
                    self._summary(key, window, now)
                    del self._windows[key]

    def forget(self, cluster: str) -> None:
        """A cluster no longer watched: its summary now, then nothing is kept for it."""
        now = self._clock()
        with self._lock:
            for key in [k for k in self._windows if k[0] == cluster]:
                self._summary(key, self._windows.pop(key), now)

    def _summary(self, key: tuple[str, str], window: _Window, now: float) -> None:
        if window.suppressed:
            self._log.warning("cluster %s %s: %d more warnings about rejected objects suppressed in the last "
                              "%.0f s (at most %d logged per %.0f s; sliceaudit_objects_rejected_total counts "
                              "them all)", printable(key[0]), key[1], window.suppressed, now - window.start,
                              self.burst, self.interval)


def printable(text: str, limit: int = 300) -> str:
    """One line with control characters escaped: names from a cluster must not drive the terminal."""
    return escaped(one_line(text, limit))
