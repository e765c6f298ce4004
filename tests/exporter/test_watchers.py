"""Watchers against the simulator's API server: retries, health, faults, one cluster never stopping another.

Each cluster is a simulated API server (sliceaudit.sim.apiserver) speaking HTTPS on 127.0.0.1,
its faults injected through its fault table. Only our own wrappers are replaced, where no server
can make them fail: `connect` (credentials that come back) and, for a bug, `watch_kind`.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from contextlib import contextmanager

import pytest
import trustme
from exporter_testkit import endpoint_slice, service

from exporter.metrics.families import NULL_PORT_ENDPOINTS, SERVICE_OUTAGE
from exporter.state import ClusterState
from exporter.warnlimit import WarningLimiter
from exporter.watchers import ClusterWatcher
from sliceaudit.api.decode import WatchEvent
from sliceaudit.kube.clusters import ClusterAccess, connect
from sliceaudit.kube.errors import ClusterError
from sliceaudit.kube.watch import Listed, WatchOptions, watch_kind
from sliceaudit.sim.apiserver.server import ApiServer
from sliceaudit.sim.fleetrun import kubeconfig_for

WAIT = 10.0

OBJECTS = {"Service": [service("shop", "web")],
           "EndpointSlice": [endpoint_slice("shop", "web-a", "web", ["10.0.0.1"])]}
MALFORMED = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
             "metadata": {"namespace": "shop", "name": "x"}, "endpoints": [], "ports": "x"}


@pytest.fixture
def api():
    """A cluster of its own holding OBJECTS, with bookmarks often (quiet watches still report contact)."""
    with ApiServer(name="prod", bookmark_interval=0.2) as server:
        for kind, objects in OBJECTS.items():
            for obj in objects:
                server.apply(kind, obj)
        yield server


def access(server: ApiServer, name: str, ca_data: str | None = None) -> ClusterAccess:
    config = kubeconfig_for({name: server})
    if ca_data is not None:
        config["clusters"][0]["cluster"]["certificate-authority-data"] = ca_data
    return ClusterAccess(name=name, source="kubeconfig", kubeconfig=config, context=name)


@contextmanager
def running(clusters: dict[str, tuple[ClusterAccess, ClusterState]], *, watch=watch_kind, connect=connect,
            backoff=lambda n: 0.05, options: WatchOptions | None = None):
    """One started watcher per cluster; stopped, and its threads joined, however the test ends."""
    watchers = [ClusterWatcher(a, s, connect=connect, watch=watch, backoff=backoff, options=options)
                for a, s in clusters.values()]
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


def test_connects_after_failures_lists_and_applies_events(api):
    attempts = []

    def flaky_connect(a):
        attempts.append(a.name)
        if len(attempts) < 3:
            raise ClusterError("connection refused by https://x", reason="connection")
        return connect(a)

    state = ClusterState("prod")
    with running({"prod": (access(api, "prod"), state)}, connect=flaky_connect, backoff=lambda n: 0.0):
        wait_until(lambda: state.stats().up)
        api.apply("EndpointSlice", endpoint_slice("shop", "web-a", "web", ["10.0.0.1"], ports=None))
        wait_until(lambda: state.values()[("shop", "web")].of(SERVICE_OUTAGE) == 1)
        assert len(attempts) == 3
        assert state.stats().up


def test_a_failed_watch_is_down_until_the_server_accepts_a_watch_again(api):
    refused = api.faults.add(status=500, on="watch", resource="services", times=None)
    state = ClusterState("prod")
    with running({"prod": (access(api, "prod"), state)}):
        wait_until(lambda: state.synced and state.stats().restarts["services"] >= 1)
        assert state.stats().up is False
        api.faults.remove(refused)   # the retry the watch makes is accepted
        wait_until(lambda: state.stats().up)
        assert state.stats().restarts["services"] == refused.hits   # one restart per refused watch
        # The gauges were never dropped meanwhile.
        assert ("shop", "web") in state.values()


def test_rejected_objects_and_a_bad_event_are_counted_and_skipped(api):
    def watch_with_a_bad_event(client, kind, **kw):
        for event in watch_kind(client, kind, **kw):
            yield event
            if kind == "EndpointSlice" and type(event) is Listed:
                yield WatchEvent("MODIFIED", object(), None, "3")  # not a record: apply_event fails

    state = ClusterState("prod")
    with running({"prod": (access(api, "prod"), state)}, watch=watch_with_a_bad_event):
        wait_until(lambda: state.stats().up)
        api.apply("EndpointSlice", MALFORMED)   # `ports` not a list: rejected by the decoder
        api.apply("EndpointSlice", endpoint_slice("shop", "web-b", "web", ["10.0.0.2"], ports=None))
        wait_until(lambda: state.values()[("shop", "web")].of(NULL_PORT_ENDPOINTS) == 1)
        assert state.stats().rejected["endpointslices"] == 2
        # Only what was applied counts as an event: the bad one is a rejection, not a MODIFIED.
        assert ("endpointslices", "MODIFIED") not in state.stats().events
        assert state.stats().events[("endpointslices", "ADDED")] == 1


def test_one_broken_cluster_never_stops_the_others(api):
    def crashing_watch(client, kind, **kw):
        if client.name == "crashing":
            raise RuntimeError("a bug in a watch")
        return watch_kind(client, kind, **kw)

    other_ca = base64.b64encode(trustme.CA().cert_pem.bytes()).decode()   # TLS verification fails
    states = {n: ClusterState(n) for n in ("good", "broken", "crashing")}
    clusters = {n: (access(api, n, other_ca if n == "broken" else None), s) for n, s in states.items()}
    with running(clusters, watch=crashing_watch) as watchers:
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


def test_a_stopped_watcher_applies_nothing_more(api):
    # A watcher replaced after a kubeconfig change may still get its list back from a stalled request.
    state = ClusterState("prod")
    with running({"prod": (access(api, "prod"), state)}, options=WatchOptions(timeout_seconds=1)) as watchers:
        wait_until(lambda: state.stats().up and ("shop", "web") in state.values())
        late = api.faults.add(on="list", resource="endpointslices", delay=3.0)
        api.faults.add(status=410, on="watch", resource="endpointslices")  # the next watch relists
        wait_until(lambda: late.hits == 1)
        api.apply("EndpointSlice", endpoint_slice("shop", "web-a", "web", ["10.0.0.1"], ports=None))
        watchers[0].stop()
        assert watchers[0].join(time.monotonic() + WAIT)
    lists = [r for r in api.requests if not r.watch and r.path.endswith("/endpointslices")]
    assert len(lists) == 2 and lists[-1].status == 200   # the late list came back, with the broken slice
    assert state.values()[("shop", "web")].of(NULL_PORT_ENDPOINTS) == 0
