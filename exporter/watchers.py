"""One thread per cluster and watched resource, feeding that cluster's state until the watcher is stopped.

`sliceaudit.kube.watch.watch_kind` does the list-then-watch loop (bookmarks, 410 -> relist,
jittered backoff) and yields typed events. Here: connecting (retried, since credentials and
networks come back), turning those events into state updates, and making sure nothing a cluster
does can end another's watch.
Each watcher has its own stop, so a cluster removed from the kubeconfig (or whose credentials
changed, and gets a new watcher on the same state) stops alone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from exporter.state import RESOURCES, ClusterState
from exporter.warnlimit import WarningLimiter, printable
from sliceaudit.api.decode import Rejected, WatchEvent
from sliceaudit.kube.clusters import ClusterAccess, connect
from sliceaudit.kube.errors import ClusterError
from sliceaudit.kube.pages import backoff as jittered_backoff
from sliceaudit.kube.watch import Event, Failed, Listed, Restarting, Synced, WatchOptions, watch_kind

log = logging.getLogger(__name__)

BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0


def backoff(attempt: int) -> float:
    """The pause before the `attempt`-th reconnection, or restart of a watch that crashed."""
    return jittered_backoff(attempt, BACKOFF_BASE, BACKOFF_CAP)


class _Once:
    """Logs a cluster's failure when its message changes, not at every retry (keys: cluster and resource)."""

    def __init__(self) -> None:
        self._last: dict[str, str] = {}
        self._lock = threading.Lock()

    def warn(self, where: str, message: str) -> None:
        with self._lock:
            if self._last.get(where) == message:
                return
            self._last[where] = message
        log.warning("%s: %s", where, printable(message))

    def clear(self, where: str) -> None:
        with self._lock:
            if self._last.pop(where, None) is not None:
                log.info("%s: recovered", where)


class ClusterWatcher:
    """Connects to one cluster and runs a watch per resource in RESOURCES, until `stop()`.

    `feed_lock` is shared by every watcher that feeds the same state in turn: a replaced watcher
    whose list returns late finds itself stopped under it and applies nothing.
    """

    def __init__(self, access: ClusterAccess, state: ClusterState, *,
                 connect: Callable = connect, watch: Callable = watch_kind,
                 backoff: Callable[[int], float] = backoff, limiter: WarningLimiter | None = None,
                 feed_lock: threading.Lock | None = None, options: WatchOptions | None = None):
        self.access = access
        self.state = state
        self.stopped = threading.Event()
        self.feed_lock = feed_lock or threading.Lock()
        self.limiter = limiter or WarningLimiter()
        self._connect = connect
        self._watch = watch
        self._options = options or WatchOptions()
        self._backoff = backoff
        self._once = _Once()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        t = threading.Thread(target=self._run, name=f"cluster:{self.access.name}", daemon=True)
        self._threads.append(t)
        t.start()

    def stop(self) -> None:
        self.stopped.set()

    def join(self, deadline: float) -> bool:
        """Waits until `deadline` (time.monotonic) for this watcher's threads; True when all ended."""
        for t in list(self._threads):
            t.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def _run(self) -> None:
        client = self._connected()
        if client is None:
            return
        watches = [threading.Thread(target=self._watch_loop, args=(client, kind), daemon=True,
                                    name=f"watch:{self.access.name}:{kind}") for kind in RESOURCES]
        self._threads.extend(watches)
        for t in watches:
            t.start()
        for t in watches:
            t.join()
        try:
            client.close()
        except Exception:  # noqa: BLE001 (closing a pool during shutdown is best effort)
            log.debug("cluster %s: closing the client failed", self.access.name, exc_info=True)

    def _connected(self):
        attempt = 0
        where = f"cluster {self.access.name}"
        while not self.stopped.is_set():
            try:
                client = self._connect(self.access)
            except Exception as err:  # noqa: BLE001 (ClusterError, or a library's own for odd credentials)
                attempt += 1
                if self.stopped.is_set():
                    return None
                self.state.note_failure()
                self._once.warn(where, _message(err))
                self.stopped.wait(self._backoff(attempt))
                continue
            self._once.clear(where)
            return client
        return None

    def _watch_loop(self, client, kind: str) -> None:
        feed = _Feed(self, kind)
        attempt = 0
        while not self.stopped.is_set():
            try:
                for event in self._watch(client, kind, stop=self.stopped, options=self._options):
                    feed.apply(event)
                attempt = 0
            except Exception as err:  # watch_kind never raises for a cluster fault; this is for bugs
                attempt += 1
                if self.stopped.is_set():
                    return
                self.state.note_restart(kind, failed=True)
                self._once.warn(feed.where, _message(err))
                log.debug("%s: watch ended", feed.where, exc_info=True)
                self.stopped.wait(self._backoff(attempt))


class _Feed:
    """watch_kind's events for one cluster and resource, turned into updates of the cluster's state.

    Nothing is applied once the watcher is stopped: a watcher for the same cluster may have taken over.
    """

    def __init__(self, watcher: ClusterWatcher, kind: str):
        self.kind = kind
        self.resource = RESOURCES[kind]
        self.state = watcher.state
        self.cluster = watcher.access.name
        self.where = f"cluster {self.cluster} {self.resource}"
        self._stopped = watcher.stopped
        self._lock = watcher.feed_lock
        self._once = watcher._once
        self._limiter = watcher.limiter

    def apply(self, event: Event) -> None:
        match event:
            case WatchEvent():
                self._change(event)
            case Listed(records=records):
                self._listed(records)
            case _ if self._stopped.is_set():
                return
            case Synced():
                # A quiet cluster sends no events: each accepted watch and each bookmark proves the held
                # state current, which keeps `sliceaudit_cluster_up` and the last-sync time honest.
                self.state.note_contact(self.kind)
                self._once.clear(self.where)
            case Failed(error=error):
                self.state.note_failure(self.kind)
                self._once.warn(self.where, _message(error))
            case Restarting(reason=reason):
                self.state.note_restart(self.kind, failed=False)
                log.debug("%s: watch restarts: %s", self.where, reason)
            case Rejected(object=what, message=why):
                self.state.note_rejected(self.kind)
                self._limiter.warn(self.cluster, self.resource, f"rejected {what}: {why}")

    def _listed(self, records) -> None:
        with self._lock:
            if self._stopped.is_set():
                return
            self.state.apply_list(self.kind, records)
        self._once.clear(self.where)

    def _change(self, event: WatchEvent) -> None:
        with self._lock:
            if self._stopped.is_set():
                return
            try:
                self.state.apply_event(self.kind, event)
            except Exception as err:  # one odd object must not restart the whole watch
                self.state.note_rejected(self.kind)
                self._limiter.warn(self.cluster, self.resource, f"cannot apply a {event.type} event: {_message(err)}")
                log.debug("%s: cannot apply an event", self.where, exc_info=True)


def _message(err: BaseException) -> str:
    if isinstance(err, ClusterError):
        return str(err)
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}"[:300] if text else type(err).__name__
