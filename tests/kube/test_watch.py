"""The watch loop against the simulated API server: events, bookmarks, 410, dropped streams, stop."""

import copy
import io
import queue
import threading
import time

import pytest
from kube_testkit import access_for

from sliceaudit.api.decode import Rejected, WatchEvent
from sliceaudit.kube.clusters import connect
from sliceaudit.kube.watch import Failed, Listed, Restarting, Synced, WatchOptions, _lines, watch_kind
from sliceaudit.sim.clusterserver import ClusterServer

WAIT = 20  # seconds a test waits for something that normally takes milliseconds


class Recorder:
    """Runs watch_kind in a thread and sorts the events it yields, by type and in order."""

    def __init__(self, server, kind="EndpointSlice", on_list=None, access=None, **options):
        self.items: queue.Queue = queue.Queue()
        self.events: queue.Queue = queue.Queue()   # every event, in the order yielded
        self.lists: list = []
        self.restarts: list[str] = []
        self.errors: list[str] = []
        self.synced: list[str] = []
        self.stop = threading.Event()
        self._on_list = on_list
        self.client = connect(access_for(server, **(access or {})))
        self.options = WatchOptions(**{"timeout_seconds": 30, **options})
        self.thread = threading.Thread(target=self._run, args=(kind,), daemon=True)

    def _run(self, kind):
        for event in watch_kind(self.client, kind, stop=self.stop, options=self.options):
            self.events.put(event)
            match event:
                case Listed(records=records, resource_version=rv):
                    self.lists.append((records, rv))
                    if self._on_list is not None:
                        self._on_list(len(self.lists))
                    self.items.put(("list", records))
                case WatchEvent():
                    self.items.put(("event", event))
                case Restarting(reason=reason):
                    self.restarts.append(reason)
                case Failed(error=error):
                    self.errors.append(str(error))
                case Synced(resource_version=rv):
                    self.synced.append(rv)

    def next(self, what="event"):
        while True:
            kind, value = self.items.get(timeout=WAIT)
            if kind == what:
                return value

    def first(self, n: int) -> list:
        return [self.events.get(timeout=WAIT) for _ in range(n)]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(WAIT)
        self.client.close()
        assert not self.thread.is_alive(), "watch_kind did not end after stop was set"


def new_slice(cluster, name):
    obj = copy.deepcopy(cluster.objects["EndpointSlice"][0])
    obj["metadata"]["name"] = name
    obj["metadata"].pop("uid", None)
    return obj


@pytest.fixture
def fresh_server(cluster):
    """A server of its own: these tests change objects and the event history."""
    with ClusterServer(cluster, bookmark_interval=0.2, history=50) as server:
        yield server


def test_list_then_added_modified_deleted(fresh_server, cluster):
    with Recorder(fresh_server) as rec:
        records = rec.next("list")
        assert len(records) == len(cluster.objects["EndpointSlice"])
        obj = new_slice(cluster, "watch-me")
        fresh_server.apply("EndpointSlice", obj)
        added = rec.next()
        obj["metadata"]["labels"]["touched"] = "yes"
        fresh_server.apply("EndpointSlice", obj)
        modified = rec.next()
        fresh_server.delete("EndpointSlice", obj["metadata"]["namespace"], "watch-me")
        deleted = rec.next()
    assert [(e.type, e.object.metadata.name) for e in (added, modified, deleted)] == [
        ("ADDED", "watch-me"), ("MODIFIED", "watch-me"), ("DELETED", "watch-me")]
    assert modified.object.metadata.labels["touched"] == "yes"
    assert int(added.resource_version) < int(modified.resource_version) < int(deleted.resource_version)
    assert rec.restarts == [] and rec.errors == []


MALFORMED = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
             "metadata": {"namespace": "default", "name": "junk"}, "endpoints": [], "ports": "x"}


@pytest.mark.parametrize("before, expected", [
    # (what the server does from the start, the first events the watch yields, in order)
    (dict(status=410, on="watch"), [Listed, Restarting, Listed, Synced]),  # version expired: list again
    (dict(status=500, on="watch"), [Listed, Failed, Restarting, Synced]),  # reconnect from the listed version
    (dict(status=403, on="list"), [Failed, Restarting, Listed, Synced]),   # not retried within the list
    (dict(status=429, on="list", retry_after=0), [Listed, Synced]),        # retried within the list
    (dict(status=503, on="continue"), [Listed, Synced]),                   # a later page retried
    (dict(status=410, on="continue"), [Listed, Synced]),                   # expired token: the list starts over
    ("malformed object", [Rejected, Listed, Synced]),                      # rejected, the rest listed
], ids=["410-watch", "500-watch", "403-list", "429-list", "503-page", "410-page", "malformed"])
def test_each_fault_yields_its_events_in_order(fresh_server, cluster, before, expected):
    if before == "malformed object":
        fresh_server.apply("EndpointSlice", MALFORMED)
    else:
        fresh_server.faults.add(resource="endpointslices", **before)
    with Recorder(fresh_server, page_size=5) as rec:
        events = rec.first(len(expected))
    assert [type(e) for e in events] == expected
    (listed,) = [e for e in events if type(e) is Listed][-1:]
    assert len(listed.records) == len(cluster.objects["EndpointSlice"])
    assert events[-1].resource_version == listed.resource_version   # the watch starts where the list ended


def test_bookmarks_move_the_resource_version_on(fresh_server, cluster):
    with Recorder(fresh_server, timeout_seconds=1) as rec:
        _, listed_rv = (rec.next("list"), rec.lists[0][1])
        # A change to another kind: no slice event, but the next bookmark carries the newer version.
        svc = copy.deepcopy(cluster.objects["Service"][0])
        svc["metadata"]["name"] = "elsewhere"
        newer = fresh_server.apply("Service", svc)["metadata"]["resourceVersion"]
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            watches = [r for r in fresh_server.requests if r.watch]
            if any(r.query.get("resourceVersion") == newer for r in watches):
                break
            rec.stop.wait(0.1)
    watches = [r for r in fresh_server.requests if r.watch]
    assert watches[0].query["resourceVersion"] == listed_rv
    assert all(r.query["allowWatchBookmarks"] == "true" for r in watches)
    assert any(r.query["resourceVersion"] == newer for r in watches[1:])
    assert len(rec.lists) == 1 and rec.restarts == []
    # A quiet watch still reports that the held state is current: when accepted, and at bookmarks.
    assert rec.synced[0] == listed_rv and newer in rec.synced


def test_http_410_relists(fresh_server, cluster):
    fresh_server.faults.add(status=410, on="watch", resource="endpointslices")
    with Recorder(fresh_server) as rec:
        rec.next("list")
        rec.next("list")
    assert len(rec.restarts) == 1 and "410" in rec.restarts[0]


def test_error_event_410_relists_and_the_new_list_has_the_changes(fresh_server, cluster):
    # The first watch starts late; meanwhile more changes than the history holds happen.
    fresh_server.faults.add(on="watch", delay=0.5, resource="endpointslices")

    def churn(n_lists):
        if n_lists == 1:
            for i in range(60):
                fresh_server.apply("EndpointSlice", new_slice(cluster, f"churn-{i}"))

    with Recorder(fresh_server, on_list=churn) as rec:
        rec.next("list")
        second = rec.next("list")
    assert len(second) == len(cluster.objects["EndpointSlice"]) + 60
    assert len(rec.restarts) == 1 and "410" in rec.restarts[0]
    errors = [r for r in fresh_server.requests if r.watch]
    assert errors and errors[0].status == 200   # the 410 came as an ERROR event inside the stream


def test_stream_dropped_mid_event_resumes_without_loss_or_duplicates(fresh_server, cluster):
    fresh_server.faults.add(drop_after=1, on="watch", resource="endpointslices")

    def burst(n_lists):
        for i in range(3):
            fresh_server.apply("EndpointSlice", new_slice(cluster, f"burst-{i}"))

    with Recorder(fresh_server, on_list=burst) as rec:
        rec.next("list")
        got = [rec.next().object.metadata.name for _ in range(3)]
    assert got == ["burst-0", "burst-1", "burst-2"]
    assert rec.items.empty()
    assert len(rec.lists) == 1 and len(rec.restarts) == 1 and "dropped" in rec.restarts[0]


def test_rejected_token_is_reported_and_retried_until_stop(fresh_server):
    with Recorder(fresh_server, access={"token": "wrong"}) as rec:
        deadline = time.monotonic() + WAIT
        while len(rec.errors) < 2 and time.monotonic() < deadline:
            rec.stop.wait(0.05)
    assert rec.errors[:2] == ["unauthorized (token rejected)"] * 2
    assert rec.lists == []


def test_stop_returns_promptly_from_a_quiet_watch(fresh_server):
    rec = Recorder(fresh_server, timeout_seconds=600, read_timeout=600)
    with rec:
        rec.next("list")
        deadline = time.monotonic() + WAIT
        while not [r for r in fresh_server.requests if r.watch] and time.monotonic() < deadline:
            rec.stop.wait(0.05)
    # __exit__ asserted the thread ended although the server would have kept the stream open.


class Chunked:
    """A response that hands out the given chunks, like urllib3 does for a chunked watch."""

    chunked = True

    def __init__(self, chunks):
        self._chunks = chunks

    def read_chunked(self):
        yield from self._chunks


@pytest.mark.parametrize("chunks", [
    [b'{"a":1}\n\n{"b":2}\n', b"\n", b'{"c":3}\n'],                 # blank lines between events
    [b'{"a"', b":1}\n{", b'"b":2}\n', b'{"c":3}', b"\n"],              # events split across chunks
    [b'{"a":1}\n{"b":2}\n{"c":3}\n{"d":'],                           # a dropped stream's tail is discarded
    [b' \r\n{"a":1}\r\n', b'{"b":2}\n{"c":3}\n'],                      # CRLF and whitespace-only lines
])
def test_lines_are_whole_events_whatever_the_chunking(chunks):
    assert [line.strip() for line in _lines(Chunked(chunks))] == [b'{"a":1}', b'{"b":2}', b'{"c":3}']


def test_lines_of_a_plain_stream():
    class Plain:
        chunked = False

        def __init__(self):
            self._body = io.BytesIO(b'{"a":1}\n\n{"b":2}\n{"c":3}\n')

        def read1(self, n):
            return self._body.read1(3)

    assert [line.strip() for line in _lines(Plain())] == [b'{"a":1}', b'{"b":2}', b'{"c":3}']
