"""List-then-watch of one kind, written over the raw stream (not `kubernetes.watch.Watch`).

kubernetes 37's `Watch.stream(deserialize=False)` crashes on an ERROR event and never advances
its resourceVersion, so this loop reads the chunked response itself: one JSON event per line,
blank lines skipped, a line split across chunks joined, an unterminated tail (a stream dropped
mid-event) discarded and fetched again from the last resourceVersion. Bookmarks are requested
and only move the resourceVersion on. `410 Gone` (an ERROR event or the HTTP status) means the
version is too old: list again. Anything else failing reconnects after a jittered backoff.
A helper thread shuts the open stream down as soon as `stop` is set, so the call returns
promptly however quiet the cluster is.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

import msgspec
import urllib3
from kubernetes.client.exceptions import ApiException

from sliceaudit.api.decode import MalformedObject, Rejected, WatchEvent, decode_watch_event
from sliceaudit.api.records import Record
from sliceaudit.kube.client import KubeClient
from sliceaudit.kube.errors import ClusterError, from_status, from_transport, is_transport
from sliceaudit.kube.pages import CONNECT_TIMEOUT, backoff, list_kind
from sliceaudit.kube.resources import resource

TIMEOUT_SECONDS = 240     # the server ends each watch after this; we resume from the last version
LIST_TIMEOUT = 300.0      # wall clock for each (re)list, however slowly the server sends it
READ_TIMEOUT = 75.0       # no byte for this long: the connection is presumed dead
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
STOP_POLL = 0.2


class _Stopped(Exception):
    pass


class _Gone(Exception):
    pass


class _EventMeta(msgspec.Struct):
    resourceVersion: str = ""


class _EventObject(msgspec.Struct):
    metadata: _EventMeta = msgspec.field(default_factory=_EventMeta)


class _EventHead(msgspec.Struct):
    object: _EventObject = msgspec.field(default_factory=_EventObject)


def watch_kind(client: KubeClient, kind: str, *,
               on_list: Callable[[tuple[Record, ...], str], object],
               on_event: Callable[[WatchEvent], object],
               stop: threading.Event,
               on_restart: Callable[[str], object] | None = None,
               on_error: Callable[[ClusterError], object] | None = None,
               on_reject: Callable[[Rejected], object] | None = None,
               on_sync: Callable[[str], object] | None = None,
               namespace: str | None = None,
               page_size: int = 500,
               timeout_seconds: int = TIMEOUT_SECONDS,
               read_timeout: float = READ_TIMEOUT,
               keep: Callable[[Record], object] | None = None,
               list_timeout: float | None = LIST_TIMEOUT) -> None:
    """Lists `kind`, then streams its changes until `stop` is set; never raises for a cluster fault.

    `on_list(records, resource_version)` gets the full state after every (re)list (with `keep`, what
    `keep(record)` made of each record, applied page by page: a list never holds all its records);
    `on_event(event)` gets each ADDED/MODIFIED/DELETED event (bookmarks only advance the version);
    `on_restart(reason)` is called whenever the watch must relist or reconnect after a fault;
    `on_error(ClusterError)` for each fault (one line, secret-free); `on_reject(Rejected)` for an
    object that does not fit the API's types; `on_sync(resource_version)` whenever the server accepts a
    watch or sends a bookmark: the state held so far is current, even on a quiet cluster.
    Each (re)list must end within `list_timeout` seconds (a fault, retried like any other).
    """
    resource(kind)  # an unknown kind is a programming error: raise before starting
    _Watch(client, kind, namespace, on_list, on_event, stop, on_restart, on_error, on_reject, on_sync,
           page_size, timeout_seconds, read_timeout, keep, list_timeout).run()


class _Watch:
    def __init__(self, client, kind, namespace, on_list, on_event, stop, on_restart, on_error, on_reject, on_sync,
                 page_size, timeout_seconds, read_timeout, keep=None, list_timeout=LIST_TIMEOUT):
        self.client, self.kind, self.namespace = client, kind, namespace
        self.on_list, self.on_event, self.stop = on_list, on_event, stop
        self.on_restart, self.on_error, self.on_reject = on_restart, on_error, on_reject
        self.on_sync = on_sync
        self.page_size, self.timeout_seconds, self.read_timeout = page_size, timeout_seconds, read_timeout
        self.keep = keep
        self.list_timeout = list_timeout
        self.resource_version: str | None = None
        self.failures = 0
        self._lock = threading.Lock()
        self._open: urllib3.HTTPResponse | None = None
        self._done = False  # tells the stopper thread to end

    def run(self) -> None:
        stopper = threading.Thread(target=self._stopper, name=f"watch-stop-{self.kind}", daemon=True)
        stopper.start()
        try:
            while not self.stop.is_set():
                try:
                    if self.resource_version is None:
                        self._list()
                    self._stream()
                except _Stopped:
                    return
                except _Gone:
                    self.resource_version = None
                    self._restart("resourceVersion expired (410 Gone): relisting")
                    self.failures += 1
                    if self.failures > 1:  # expired again before any event: do not relist in a tight loop
                        self.stop.wait(self._backoff())
                except ClusterError as err:
                    if self.stop.is_set():
                        return
                    self._fault(err)
        finally:
            self._done = True

    # --- list ------------------------------------------------------------------------------

    def _list(self) -> None:
        deadline = time.monotonic() + self.list_timeout if self.list_timeout else None
        listed = list_kind(self.client, self.kind, self.namespace, page_size=self.page_size,
                           deadline=deadline, sleep=self._sleep, keep=self.keep)
        for rejected in listed.errors:
            self._reject(rejected)
        self.on_list(listed.items, listed.resource_version)
        self.resource_version = listed.resource_version

    # --- watch -----------------------------------------------------------------------------

    def _stream(self) -> None:
        res = resource(self.kind)
        try:
            resp = self.client.open(
                self.kind, self.namespace, timeout=(CONNECT_TIMEOUT, self.read_timeout), watch=True,
                allow_watch_bookmarks=True, resource_version=self.resource_version,
                timeout_seconds=self.timeout_seconds)
        except ApiException as err:
            if err.status == 410:
                raise _Gone() from None
            if not err.status:
                raise from_transport(err, self.client.host) from None
            raise from_status(err.status, res.resource, self.namespace) from None
        except ClusterError:
            raise
        except Exception as err:
            if not is_transport(err):
                raise
            raise from_transport(err, self.client.host) from None
        with self._lock:
            self._open = resp
        self._synced()
        started, events = time.monotonic(), 0
        try:
            for line in _lines(resp):
                if self.stop.is_set():
                    raise _Stopped()
                events += self._handle(line)
        except (_Stopped, _Gone, ClusterError):
            raise
        except Exception as err:
            if self.stop.is_set():
                raise _Stopped() from None
            if isinstance(err, urllib3.exceptions.ReadTimeoutError):
                return  # idle past read_timeout: resume from the last version on a new connection
            if not is_transport(err):
                raise
            raise ClusterError(f"watch of {res.resource} dropped: {from_transport(err, self.client.host)}",
                               reason="dropped") from None
        finally:
            with self._lock:
                self._open = None
            resp.close()
            resp.release_conn()
        if self.stop.is_set():
            raise _Stopped()
        if events:
            self.failures = 0
        elif time.monotonic() - started < 1.0:
            # A server that ends streams at once would otherwise be hammered in a tight loop.
            raise ClusterError(f"watch of {res.resource} ended at once", reason="dropped")

    def _handle(self, line: bytes) -> int:
        try:
            event = decode_watch_event(self.kind, line)
        except MalformedObject as err:
            self._advance(_version_of(line))
            self._reject(err.rejected)
            return 0
        except RecursionError:
            self._reject(Rejected(f"{self.kind} watch event", "nested too deeply"))
            return 0
        if event.type == "ERROR":
            status = event.status or {}
            if status.get("code") == 410:
                raise _Gone()
            code, why = status.get("code", "?"), status.get("reason") or status.get("message") or "error"
            raise ClusterError(f"watch of {resource(self.kind).resource}: ERROR event {code} {why}",
                               reason="server", status=code if isinstance(code, int) else None)
        self._advance(event.resource_version)
        if event.type == "BOOKMARK":
            self._synced()
            return 1
        self.on_event(event)
        return 1

    def _synced(self) -> None:
        if self.on_sync is not None and self.resource_version:
            self.on_sync(self.resource_version)

    def _advance(self, version: str) -> None:
        if version:
            self.resource_version = version

    # --- faults, stop ----------------------------------------------------------------------

    def _fault(self, err: ClusterError) -> None:
        if self.on_error is not None:
            self.on_error(err)
        self._restart(str(err))
        self.failures += 1
        self.stop.wait(self._backoff())

    def _backoff(self) -> float:
        return backoff(self.failures, BACKOFF_BASE, BACKOFF_CAP)

    def _restart(self, reason: str) -> None:
        if self.on_restart is not None:
            self.on_restart(reason)

    def _reject(self, rejected: Rejected) -> None:
        if self.on_reject is not None:
            self.on_reject(rejected)

    def _sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise _Stopped()

    def _stopper(self) -> None:
        while not self._done:
            if self.stop.wait(STOP_POLL):
                with self._lock:
                    if self._open is not None:
                        with contextlib.suppress(OSError, AttributeError, urllib3.exceptions.HTTPError):
                            self._open.shutdown()  # interrupts the reader blocked on this socket
                return


def _lines(resp: urllib3.HTTPResponse) -> Iterator[bytes]:
    """Complete, non-blank lines as they arrive; an unterminated tail is dropped (it is re-sent).

    The API server sends one event per chunk, so the common case yields the chunk itself, uncopied
    (its trailing newline is whitespace to the JSON decoder).
    """
    chunks = resp.read_chunked() if resp.chunked else iter(lambda: resp.read1(65536), b"")
    pending: list[bytes] = []
    for chunk in chunks:
        if not chunk:
            continue
        end = chunk.rfind(b"\n") + 1
        if not end:
            pending.append(chunk)
            continue
        if pending:
            pending.append(chunk[:end])
            block = b"".join(pending)
            pending = []
        else:
            block = chunk if end == len(chunk) else chunk[:end]
        if end < len(chunk):
            pending.append(chunk[end:])
        if block.find(b"\n") == len(block) - 1:   # one line (memchr: cheaper than count on 10 kB events)
            if not block.isspace():
                yield block
            continue
        for line in block.split(b"\n"):
            if line and not line.isspace():
                yield line


def _version_of(line: bytes) -> str:
    try:
        return msgspec.json.decode(line, type=_EventHead).object.metadata.resourceVersion
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return ""
