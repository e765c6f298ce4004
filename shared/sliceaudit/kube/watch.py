"""List-then-watch of one kind, written over the raw stream (not `kubernetes.watch.Watch`).

`watch_kind` is a generator of typed events, as kopf's `continuous_watch` is (kopf
`kopf/_cogs/clients/watching.py`): the consumer matches on them instead of passing callbacks.

kubernetes 37's `Watch.stream(deserialize=False)` crashes on an ERROR event and never advances
its resourceVersion, so this loop reads the chunked response itself: one JSON event per line,
blank lines skipped, a line split across chunks joined, an unterminated tail (a stream dropped
mid-event) discarded and fetched again from the last resourceVersion. Bookmarks are requested
and only move the resourceVersion on. `410 Gone` (an ERROR event or the HTTP status) means the
version is too old: list again. Anything else failing reconnects after a jittered backoff.
A helper thread shuts the open stream down as soon as `stop` is set, so the generator ends
promptly however quiet the cluster is.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import msgspec
import urllib3
from kubernetes.client.exceptions import ApiException

from sliceaudit.api.decode import MalformedObject, Rejected, WatchEvent, decode_watch_event
from sliceaudit.api.records import Record
from sliceaudit.kube.client import KubeClient
from sliceaudit.kube.errors import ClusterError, from_status, from_transport, is_transport
from sliceaudit.kube.pages import CONNECT_TIMEOUT, ListOptions, backoff, list_kind
from sliceaudit.kube.resources import resource

TIMEOUT_SECONDS = 240     # the server ends each watch after this; we resume from the last version
LIST_TIMEOUT = 300.0      # wall clock for each (re)list, however slowly the server sends it
READ_TIMEOUT = 75.0       # no byte for this long: the connection is presumed dead
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
STOP_POLL = 0.2


# --- the events --------------------------------------------------------------------------------
# Besides these, the generator yields each change as the decoded `WatchEvent` (type ADDED,
# MODIFIED or DELETED: bookmarks and ERROR events never reach the consumer) and each object that
# does not fit the API's types as its `Rejected`, both from the parsing boundary (api.decode).


@dataclass(frozen=True, slots=True)
class Listed:
    """The full state after a (re)list: what `keep` made of each record, and the version listed."""

    records: tuple
    resource_version: str


@dataclass(frozen=True, slots=True)
class Synced:
    """The server accepted a watch from `resource_version`, or sent a bookmark: the state held is current."""

    resource_version: str


@dataclass(frozen=True, slots=True)
class Failed:
    """A fault of the cluster (one line, secret-free); a `Restarting` follows, then a backoff."""

    error: ClusterError


@dataclass(frozen=True, slots=True)
class Restarting:
    """The watch relists (410 Gone) or reconnects after a fault."""

    reason: str


Event = WatchEvent | Listed | Synced | Rejected | Failed | Restarting


@dataclass(frozen=True)
class WatchOptions:
    """How one kind is listed and watched."""

    namespace: str | None = None
    page_size: int = 500
    timeout_seconds: int = TIMEOUT_SECONDS   # asked of the server for each watch request
    read_timeout: float = READ_TIMEOUT
    list_timeout: float | None = LIST_TIMEOUT  # each (re)list must end within it (a fault, retried)


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


def watch_kind(client: KubeClient, kind: str, *, stop: threading.Event, options: WatchOptions | None = None,
               keep: Callable[[Record], object] | None = None) -> Iterator[Event]:
    """Lists `kind`, then streams its changes until `stop` is set; never raises for a cluster fault.

    Yields `Listed` after every (re)list (with `keep`, what `keep(record)` made of each record,
    applied page by page: a list never holds all its records), preceded by the list's `Rejected`
    objects; each change as a `WatchEvent`; `Synced` whenever the server accepts a watch or sends a
    bookmark (the state held is current, even on a quiet cluster); `Failed` for each fault, and
    `Restarting` whenever the watch must relist or reconnect. Ends when `stop` is set (or the
    consumer stops iterating: the open stream is closed).
    """
    resource(kind)  # an unknown kind is a programming error: raise before the first event is asked for
    return _Watch(client, kind, stop=stop, options=options or WatchOptions(), keep=keep).events()


class _Watch:
    """One kind's list-then-watch loop: the version reached, the failures since the last event, the open stream."""

    def __init__(self, client: KubeClient, kind: str, *, stop: threading.Event, options: WatchOptions,
                 keep: Callable[[Record], object] | None = None):
        self.client, self.kind, self.stop = client, kind, stop
        self.options, self.keep = options, keep
        self.resource_version: str | None = None
        self.failures = 0
        self._lock = threading.Lock()
        self._open: urllib3.HTTPResponse | None = None
        self._done = False  # tells the stopper thread to end

    def events(self) -> Iterator[Event]:
        stopper = threading.Thread(target=self._stopper, name=f"watch-stop-{self.kind}", daemon=True)
        stopper.start()
        try:
            while not self.stop.is_set():
                try:
                    if self.resource_version is None:
                        yield from self._list()
                    yield from self._stream()
                except _Stopped:
                    return
                except _Gone:
                    self.resource_version = None
                    yield Restarting("resourceVersion expired (410 Gone): relisting")
                    self.failures += 1
                    if self.failures > 1:  # expired again before any event: do not relist in a tight loop
                        self.stop.wait(self._backoff())
                except ClusterError as err:
                    if self.stop.is_set():
                        return
                    yield Failed(err)
                    yield Restarting(str(err))
                    self.failures += 1
                    self.stop.wait(self._backoff())
        finally:
            self._done = True

    # --- list ------------------------------------------------------------------------------

    def _list(self) -> Iterator[Event]:
        options = self.options
        deadline = time.monotonic() + options.list_timeout if options.list_timeout else None
        listed = list_kind(self.client, self.kind, options.namespace,
                           listing=ListOptions(options.page_size, deadline), sleep=self._sleep, keep=self.keep)
        yield from listed.errors
        yield Listed(listed.items, listed.resource_version)
        self.resource_version = listed.resource_version

    # --- watch -----------------------------------------------------------------------------

    def _stream(self) -> Iterator[Event]:
        res, options = resource(self.kind), self.options
        try:
            resp = self.client.open(
                self.kind, options.namespace, timeout=(CONNECT_TIMEOUT, options.read_timeout), watch=True,
                allow_watch_bookmarks=True, resource_version=self.resource_version,
                timeout_seconds=options.timeout_seconds)
        except ApiException as err:
            if err.status == 410:
                raise _Gone() from None
            if not err.status:
                raise from_transport(err, self.client.host) from None
            raise from_status(err.status, res.resource, options.namespace) from None
        except ClusterError:
            raise
        except Exception as err:
            if not is_transport(err):
                raise
            raise from_transport(err, self.client.host) from None
        with self._lock:
            self._open = resp
        started, events = time.monotonic(), 0
        try:
            if self.resource_version:
                yield Synced(self.resource_version)
            for line in _lines(resp):
                if self.stop.is_set():
                    raise _Stopped()
                event = self._handle(line)
                if event.__class__ is not Rejected:
                    events += 1
                    if event is None:
                        continue
                yield event
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

    def _handle(self, line: bytes) -> Event | None:
        """What one line of the stream makes: a change, a `Synced` for a bookmark (None before any
        version is known), or a `Rejected`."""
        try:
            event = decode_watch_event(self.kind, line)
        except MalformedObject as err:
            self._advance(_version_of(line))
            return err.rejected
        except RecursionError:
            return Rejected(f"{self.kind} watch event", "nested too deeply")
        if event.type == "ERROR":
            status = event.status or {}
            if status.get("code") == 410:
                raise _Gone()
            code, why = status.get("code", "?"), status.get("reason") or status.get("message") or "error"
            raise ClusterError(f"watch of {resource(self.kind).resource}: ERROR event {code} {why}",
                               reason="server", status=code if isinstance(code, int) else None)
        self._advance(event.resource_version)
        if event.type == "BOOKMARK":
            return Synced(self.resource_version) if self.resource_version else None
        return event

    def _advance(self, version: str) -> None:
        if version:
            self.resource_version = version

    # --- faults, stop ----------------------------------------------------------------------

    def _backoff(self) -> float:
        return backoff(self.failures, BACKOFF_BASE, BACKOFF_CAP)

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
