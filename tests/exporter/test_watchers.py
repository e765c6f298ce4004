"""Watchers against scripted clusters: retries, health, and one cluster never stopping another.

The scripted `watch` plays what `sliceaudit.kube.watch.watch_kind` does through its callbacks;
the real one runs against the simulator's API server in test_e2e.py.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

import pytest
from exporter_testkit import endpoint_slice, event, record, service

from exporter.metrics.families import NULL_PORT_ENDPOINTS, SERVICE_OUTAGE
from exporter.state import ClusterState
from exporter.warnlimit import WarningLimiter
from exporter.watchers import ClusterWatcher
from sliceaudit.kube.clusters import ClusterAccess
from sliceaudit.kube.errors import ClusterError

WAIT = 10.0


def access(name: str) -> ClusterAccess:
    return ClusterAccess(name=name, source="kubeconfig", kubeconfig_path="/dev/null", context=name)


class FakeClient:
    def __init__(self, name: str):
        self.name = name
        self.host = f"https://{name}.example"
        self.opened: list[dict] = []
        self.closed = False

    def open(self, kind, namespace=None, **params):
        self.opened.append({"kind": kind, **params})
        return object()

    def close(self):
        self.closed = True


class Script:
    """A watch_kind stand-in: lists, then plays the steps for its kind, then waits for stop."""

    def __init__(self, objects: dict[str, list[dict]], steps=()):
        self.objects = objects
        self.steps = list(steps)     # (kind, callable(callbacks, client))
        self.played = threading.Event()
        self._remaining = {k for k, _ in self.steps}
        self._lock = threading.Lock()

    def __call__(self, client, kind, *, on_list, on_event, stop, on_restart, on_error, on_reject, on_sync):
        on_list(tuple(record(o) for o in self.objects.get(kind, [])), "100")
        on_sync("100")   # the server accepted the watch
        callbacks = {"on_event": on_event, "on_restart": on_restart, "on_error": on_error, "on_reject": on_reject,
                     "on_sync": on_sync}
        for k, step in self.steps:
            if k == kind:
                step(callbacks, client)
        with self._lock:
            self._remaining.discard(kind)
            if not self._remaining:
                self.played.set()
        stop.wait()


@contextmanager
def running(states: dict[str, ClusterState], watch, connect=lambda a: FakeClient(a.name), backoff=lambda n: 0.05):
    """One started watcher per state; stopped, and its threads joined, however the test ends."""
    watchers = [ClusterWatcher(access(n), s, connect=connect, watch=watch, backoff=backoff)
                for n, s in states.items()]
    for w in watchers:
        w.start()
    try:
        yield watchers
    finally:
        for w in watchers:
            w.stop()
        for w in watchers:
            w.join(time.monotonic() + WAIT)


def wait_until(predicate, timeout=WAIT):
    done = threading.Event()
    for _ in range(int(timeout * 100)):
        if predicate():
            return
        done.wait(0.01)
    raise AssertionError("condition not reached")


OBJECTS = {"Service": [service("shop", "web")],
           "EndpointSlice": [endpoint_slice("shop", "web-a", "web", ["10.0.0.1"])]}


def test_connects_after_failures_lists_and_applies_events():
    attempts = []

    def connect(a):
        attempts.append(a.name)
        if len(attempts) < 3:
            raise ClusterError("connection refused by https://x", reason="connection")
        return FakeClient(a.name)

    broken = endpoint_slice("shop", "web-a", "web", ["10.0.0.1"], ports=None, rv="2")
    script = Script(OBJECTS, [("EndpointSlice", lambda cb, c: cb["on_event"](event("MODIFIED", broken)))])
    state = ClusterState("prod")
    with running({"prod": state}, script, connect=connect, backoff=lambda n: 0.0):
        assert script.played.wait(WAIT)
        wait_until(lambda: state.values().get(("shop", "web")) is not None
                   and state.values()[("shop", "web")].of(SERVICE_OUTAGE) == 1)
        assert len(attempts) == 3
        assert state.stats().up


def test_a_failed_watch_is_down_until_the_server_accepts_a_watch_again():
    seen = {}

    def fail_then_reconnect(cb, client):
        cb["on_error"](ClusterError("server error 500 listing services", reason="server"))
        seen["down"] = state.stats().up
        cb["on_restart"]("server error 500 listing services")
        cb["on_sync"]("100")  # the retry the real watch makes is accepted

    script = Script(OBJECTS, [("Service", fail_then_reconnect)])
    state = ClusterState("prod")
    with running({"prod": state}, script):
        assert script.played.wait(WAIT)
        assert seen["down"] is False
        wait_until(lambda: state.stats().up)
        assert state.stats().restarts["services"] == 1
        # The gauges were never dropped meanwhile.
        assert ("shop", "web") in state.values()


def test_rejected_objects_and_a_bad_event_are_counted_and_skipped():
    def bad_things(cb, client):
        from sliceaudit.api.decode import Rejected, WatchEvent

        cb["on_reject"](Rejected("EndpointSlice shop/x", "Expected `array | null`, got `str` - at `$.ports`"))
        cb["on_event"](WatchEvent("MODIFIED", object(), None, "3"))  # not a record: apply_event fails
        cb["on_event"](event("ADDED", endpoint_slice("shop", "web-b", "web", ["10.0.0.2"], ports=None)))

    script = Script(OBJECTS, [("EndpointSlice", bad_things)])
    state = ClusterState("prod")
    with running({"prod": state}, script):
        assert script.played.wait(WAIT)
        wait_until(lambda: state.values()[("shop", "web")].of(NULL_PORT_ENDPOINTS) == 1)
        assert state.stats().rejected["endpointslices"] == 2
        # Only what was applied counts as an event: the bad one is a rejection, not a MODIFIED.
        assert ("endpointslices", "MODIFIED") not in state.stats().events
        assert state.stats().events[("endpointslices", "ADDED")] == 1


def test_one_broken_cluster_never_stops_the_others():
    def connect(a):
        if a.name == "broken":
            raise ClusterError("TLS verification failed for https://broken: self-signed certificate", reason="tls")
        return FakeClient(a.name)

    def crashing_watch(client, kind, **kw):
        if client.name == "crashing":
            raise RuntimeError("a bug in a watch")
        return script(client, kind, **kw)

    script = Script(OBJECTS)
    states = {n: ClusterState(n) for n in ("good", "broken", "crashing")}
    with running(states, crashing_watch, connect=connect) as watchers:
        wait_until(lambda: states["good"].stats().up and states["broken"].attempted and states["crashing"].attempted)
        assert ("shop", "web") in states["good"].values()
        assert not states["broken"].stats().up and not states["crashing"].stats().up
    for w in watchers:
        for t in w._threads:
            assert not t.is_alive()


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.mark.parametrize("warnings, then, expected", [
    # (cluster, resource) warnings at t=0, what happens next, the lines logged in all
    ([("a", "endpointslices")] * 3, "flush after the interval", 3),
    ([("a", "endpointslices")] * 50, "flush within the interval", 5),
    ([("a", "endpointslices")] * 50, "flush after the interval", 5 + 1),
    ([("a", "endpointslices")] * 50 + [("a", "services")] * 50 + [("b", "endpointslices")] * 2,
     "flush after the interval", 5 + 1 + 5 + 1 + 2),
    ([("a", "endpointslices")] * 50, "warn again after the interval", 5 + 1 + 1),
    ([("a", "endpointslices")] * 50, "forget the cluster", 5 + 1),
])
def test_warnings_are_limited_per_cluster_and_resource_and_summarised(warnings, then, expected):
    clock, out = FakeClock(), Lines()
    logger = logging.getLogger("test.warnlimit")
    logger.addHandler(out)
    limiter = WarningLimiter(burst=5, interval=60, clock=clock, logger=logger)
    try:
        for i, (cluster, resource) in enumerate(warnings):
            limiter.warn(cluster, resource, f"rejected EndpointSlice ns/junk-{i}")
        clock.now = 30 if then == "flush within the interval" else 61
        if then == "flush after the interval":
            limiter.flush()
        elif then == "warn again after the interval":
            limiter.warn("a", "endpointslices", "rejected EndpointSlice ns/late")
        elif then == "forget the cluster":
            limiter.forget("a")
        limiter.flush()
    finally:
        logger.removeHandler(out)
    assert len(out.lines) == expected, out.lines
    summaries = [line for line in out.lines if "suppressed" in line]
    if summaries:
        assert summaries[0].startswith("cluster a endpointslices: 45 more warnings about rejected objects suppressed")
    assert len(limiter._windows) <= 1  # memory: one window per live key, none for names


def test_names_from_a_cluster_are_escaped_in_warnings():
    out = Lines()
    logger = logging.getLogger("test.warnlimit.escape")
    logger.addHandler(out)
    try:
        WarningLimiter(logger=logger).warn("prod", "services", "rejected Service ns/\x1b[2Jevil\nFAKE line")
    finally:
        logger.removeHandler(out)
    assert out.lines == ["cluster prod services: rejected Service ns/\\x1b[2Jevil FAKE line"]


def test_a_stopped_watcher_applies_nothing_more():
    # A watcher replaced after a kubeconfig change may still get its list back from a stalled request.
    late = {}

    def late_list(cb, client):
        late["on_event"] = cb["on_event"]

    script = Script(OBJECTS, [("EndpointSlice", late_list)])
    state = ClusterState("prod")
    with running({"prod": state}, script) as watchers:
        assert script.played.wait(WAIT)
        wait_until(lambda: ("shop", "web") in state.values())
        watchers[0].stop()
        late["on_event"](event("MODIFIED", endpoint_slice("shop", "web-a", "web", ["10.0.0.1"], ports=None, rv="9")))
        assert state.values()[("shop", "web")].of(NULL_PORT_ENDPOINTS) == 0
