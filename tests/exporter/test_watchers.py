"""Watchers against scripted clusters: retries, health, and one cluster never stopping another.

The scripted `watch` plays what `sliceaudit.kube.watch.watch_kind` does through its callbacks;
the real one runs against the simulator's API server in test_e2e.py.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from exporter_testkit import endpoint_slice, event, record, service

from exporter.state import ClusterState
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
    stop = threading.Event()
    watchers = [ClusterWatcher(access(n), s, stop, connect=connect, watch=watch, backoff=backoff)
                for n, s in states.items()]
    for w in watchers:
        w.start()
    try:
        yield watchers
    finally:
        stop.set()
        for w in watchers:
            w.join(WAIT)


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
                   and state.values()[("shop", "web")].outage == 1)
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
        from sliceaudit.core.decode import Rejected, WatchEvent

        cb["on_reject"](Rejected("EndpointSlice shop/x", "Expected `array | null`, got `str` - at `$.ports`"))
        cb["on_event"](WatchEvent("MODIFIED", object(), None, "3"))  # not a record: apply_event fails
        cb["on_event"](event("ADDED", endpoint_slice("shop", "web-b", "web", ["10.0.0.2"], ports=None)))

    script = Script(OBJECTS, [("EndpointSlice", bad_things)])
    state = ClusterState("prod")
    with running({"prod": state}, script):
        assert script.played.wait(WAIT)
        wait_until(lambda: state.values()[("shop", "web")].null_port_endpoints == 1)
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
