"""A local HTTPS Kubernetes API server over a store of raw objects: list (paginated), get and watch.

Speaks the protocol the way kube-apiserver does for the resources sliceaudit reads: `limit` /
`continue` with opaque tokens into a consistent snapshot (410 Expired once it is gone),
`remainingItemCount`, label and field selectors, watches streaming newline-delimited JSON in
chunks with bookmarks and a 410 ERROR event for a resourceVersion older than the history,
bearer tokens (static and EKS), Kubernetes Status bodies for errors, and injectable faults.
"""

from __future__ import annotations

import base64
import bisect
import json
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import trustme

from sliceaudit.sim.apiserver import discovery
from sliceaudit.sim.apiserver.auth import TokenCheck, TokenRejected
from sliceaudit.sim.apiserver.faults import Fault, Faults
from sliceaudit.sim.apiserver.resources import RESOURCES, Resource, resource
from sliceaudit.sim.apiserver.selectors import SelectorError, field_selector, label_selector
from sliceaudit.sim.apiserver.store import Entry, Store

REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
           409: "Conflict", 410: "Expired", 422: "Invalid", 429: "TooManyRequests", 500: "InternalError",
           503: "ServiceUnavailable", 504: "Timeout"}
DEFAULT_WATCH_TIMEOUT = 1800
WATCH_FLUSH_BYTES = 1 << 20   # a long batch goes out in pieces of about this size


def parse_bool(value: str | None) -> bool:
    """Go's strconv.ParseBool truths, as the API server reads watch=, allowWatchBookmarks=, ..."""
    return value in ("1", "t", "T", "true", "TRUE", "True")


def status_body(code: int, message: str, reason: str | None = None, details: dict | None = None) -> bytes:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason or REASONS.get(code, "Unknown")}
    if details:
        body["details"] = details
    body["code"] = code
    return json.dumps(body, separators=(",", ":")).encode()


def encode_continue(rv: int, last_key: str) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": last_key + "\x00"}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, str]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if raw.get("v") != "meta.k8s.io/v1":
            raise ValueError
        return int(raw["rv"]), str(raw["start"])
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ValueError("continue key is not valid") from err


@dataclass(frozen=True)
class Request:
    """One request the server saw, for tests that check what a client asked for."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    watch: bool


class _Stop(Exception):
    """The response was answered (or cut); the handler returns."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sliceaudit-sim"
    sys_version = ""
    timeout = 120
    api: ApiServer

    def log_message(self, format, *args):  # noqa: A002 - keeps test output quiet
        pass

    def setup(self):
        super().setup()
        self.api._track(self.connection, True)
        try:
            self.connection.do_handshake()
        except BaseException:
            self.api._track(self.connection, False)
            raise

    def finish(self):
        try:
            super().finish()
        finally:
            self.api._track(self.connection, False)

    # -- responses ----------------------------------------------------------------------

    def _send(self, code: int, body: bytes, headers: dict | None = None,
              content_type: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Audit-Id", secrets.token_hex(8))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(body)
        self._record(code)

    def _status(self, code: int, message: str, reason: str | None = None, details: dict | None = None,
                headers: dict | None = None) -> None:
        self._send(code, status_body(code, message, reason, details), headers)

    def _record(self, code: int) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        watch = parse_bool(query.get("watch"))
        self.api.requests.append(Request(self.command, url.path, query, code, watch))

    # -- routing ------------------------------------------------------------------------

    def do_GET(self):  # noqa: N802 - http.server's naming
        try:
            self._get()
        except _Stop:
            pass
        except OSError:  # the client went away (reset, TLS error, timeout)
            self.close_connection = True
        except Exception as err:  # a simulator bug answers 500 for this request only
            self.close_connection = True
            try:
                self._status(500, f"simulator error: {type(err).__name__}: {err}", "InternalError")
            except OSError:
                pass

    def _reject(self):
        self.close_connection = True  # the request body is never read
        self._status(405, f"the simulator serves reads only, not {self.command}", "MethodNotAllowed")

    do_POST = do_PUT = do_PATCH = do_DELETE = _reject  # noqa: N815

    def _get(self) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if path in ("/healthz", "/readyz", "/livez"):
            self._send(200, b"ok", content_type="text/plain")
            return
        try:
            self.api.tokens.user(self.headers.get("Authorization"))
        except TokenRejected:
            self._status(401, "Unauthorized", "Unauthorized")
            return
        if path == "/version":
            self._send(200, json.dumps({"major": "1", "minor": "31", "gitVersion": "v1.31.4-sliceaudit-sim",
                                        "platform": "linux/amd64"}).encode())
            return
        doc = discovery.document(path, f"127.0.0.1:{self.api.port}")
        if doc is not None:
            self._send(200, doc)
            return
        route = _route(path)
        if route is None:
            self._status(404, "the server could not find the requested resource", "NotFound")
            return
        res, namespace, name = route
        watch = parse_bool(query.get("watch"))
        kind = "get" if name else "watch" if watch else "continue" if query.get("continue") else "list"
        fault = self.api.faults.take(path, res.plural, kind)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status is not None:
                self._fault_status(fault)
                return
        if name:
            self._get_one(res, namespace, name)
        elif watch:
            self._watch(res, namespace, query, fault)
        else:
            self._list(res, namespace, query)

    def _fault_status(self, fault: Fault) -> None:
        code = fault.status
        headers, details = {}, None
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
            details = {"retryAfterSeconds": fault.retry_after}
        message = fault.message or {
            410: "The provided continue parameter is too old to display a consistent list result. You can start "
                 "a new list without the continue parameter.",
            429: "Too many requests, please try again later.",
            500: "Internal error occurred: injected by the simulator",
            503: "The server is currently unable to handle the request",
            504: "The server was unable to return a response in the time allotted, but may still be processing "
                 "the request",
        }.get(code, f"injected fault {code}")
        self._status(code, message, fault.reason, details, headers)

    def _get_one(self, res: Resource, namespace: str, name: str) -> None:
        entry = self.api.store.get(res.plural, namespace, name)
        if entry is None:
            self._status(404, f'{res.plural}{"." + res.group if res.group else ""} "{name}" not found', "NotFound",
                         {"name": name, "group": res.group, "kind": res.plural})
            return
        self._send(200, entry.data)

    def _filters(self, res: Resource, query: dict):
        try:
            return (label_selector(query.get("labelSelector")),
                    field_selector(query.get("fieldSelector"), res.fields))
        except SelectorError as err:
            self._status(400, str(err), "BadRequest")
            raise _Stop from err

    def _list(self, res: Resource, namespace: str, query: dict) -> None:
        labels, fields = self._filters(res, query)
        try:
            limit = int(query.get("limit") or 0)
        except ValueError:
            self._status(400, f"invalid limit {query.get('limit')!r}", "BadRequest")
            return
        store = self.api.store
        token = query.get("continue")
        if token:
            try:
                rv, start = decode_continue(token)
            except ValueError as err:
                self._status(400, str(err), "BadRequest")
                return
            snap = store.snapshot_at(res.plural, rv)
            if snap is None:
                self._status(410, "The provided continue parameter is too old to display a consistent list "
                                  "result. You can start a new list without the continue parameter.", "Expired")
                return
        else:
            snap = store.snapshot(res.plural)
            start = ""
        keys = snap.keys
        lo, hi = 0, len(keys)
        if namespace:
            lo = bisect.bisect_left(keys, namespace + "/")
            hi = bisect.bisect_left(keys, namespace + "0")  # "0" sorts right after "/"
        lo = max(lo, bisect.bisect_left(keys, start)) if start else lo
        items: list[bytes] = []
        i = lo
        filtered = labels is not None or fields is not None
        while i < hi and (limit <= 0 or len(items) < limit):
            e = snap.entries[i]
            i += 1
            if _matches(e, labels, fields):
                items.append(e.data)
        meta = {"resourceVersion": str(snap.rv)}
        more = i < hi and (not filtered or any(_matches(e, labels, fields) for e in snap.entries[i:hi]))
        if limit > 0 and more:
            meta["continue"] = encode_continue(snap.rv, snap.entries[i - 1].key)
            if not filtered:
                meta["remainingItemCount"] = hi - i
        head = (b'{"kind":"' + res.kind.encode() + b'List","apiVersion":"' + res.api_version.encode()
                + b'","metadata":' + json.dumps(meta, separators=(",", ":")).encode() + b',"items":[')
        self._send(200, head + b",".join(items) + b"]}")

    # -- watch --------------------------------------------------------------------------

    def _watch(self, res: Resource, namespace: str, query: dict, fault: Fault | None) -> None:
        labels, fields = self._filters(res, query)
        rv_text = query.get("resourceVersion", "")
        bookmarks = parse_bool(query.get("allowWatchBookmarks"))
        initial_events = parse_bool(query.get("sendInitialEvents"))
        try:
            timeout = float(query.get("timeoutSeconds") or DEFAULT_WATCH_TIMEOUT)
            rv = None if rv_text in ("", "0") or initial_events else int(rv_text)
        except ValueError:
            self._status(400, f"invalid resource version {rv_text!r}", "BadRequest")
            return
        store = self.api.store
        seq, initial, current = store.watch_start(res.plural, rv)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Audit-Id", secrets.token_hex(8))
        self.end_headers()
        self._record(200)
        self.close_connection = True
        drop_after = fault.drop_after if fault is not None else None
        sent = 0
        # Events queue here and go out together once none is left to send, as kube-apiserver flushes
        # its watch stream only `if len(ch) == 0` (k8s.io/apiserver endpoints/handlers/watch.go,
        # WatchServer.HandleHTTP): one write per batch, not one per event.
        queued: list[bytes] = []
        queued_bytes = 0

        def flush() -> None:
            nonlocal queued_bytes
            if queued:
                self.wfile.write(b"".join(queued))
                queued.clear()
                queued_bytes = 0

        def emit(*line: bytes) -> None:
            """Queues one event's line, given in pieces (an object's stored JSON is not copied into it)."""
            nonlocal sent, queued_bytes
            size = sum(map(len, line))
            if drop_after is not None and sent >= drop_after:
                half = b"".join(line)[: max(1, size // 2)]
                queued.append(b"%x\r\n%s\r\n" % (len(half), half))
                flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                raise _Stop
            queued.append(b"%x\r\n" % size)
            queued.extend(line)
            queued.append(b"\r\n")
            queued_bytes += size
            sent += 1
            if queued_bytes >= WATCH_FLUSH_BYTES:
                flush()

        def bookmark(at: int, initial_end: bool = False) -> bytes:
            meta: dict = {"resourceVersion": str(at), "creationTimestamp": None}
            if initial_end:
                meta["annotations"] = {"k8s.io/initial-events-end": "true"}
            obj = {"kind": res.kind, "apiVersion": res.api_version, "metadata": meta}
            return json.dumps({"type": "BOOKMARK", "object": obj}, separators=(",", ":")).encode() + b"\n"

        if seq < 0:
            emit(b'{"type":"ERROR","object":' + status_body(
                410, f"too old resource version: {rv} ({store.compacted_rv})", "Expired") + b"}\n")
            flush()
            self._end()
            return
        for e in initial or ():
            if (not namespace or e.namespace == namespace) and _matches(e, labels, fields):
                emit(_EVENT_HEAD["ADDED"], e.data, _EVENT_TAIL)
        if initial_events and bookmarks:
            emit(bookmark(current, initial_end=True))
        deadline = time.monotonic() + timeout
        interval = self.api.bookmark_interval
        next_bookmark = time.monotonic() + interval
        stop = self.api._closing
        while not stop.is_set():
            flush()
            now = time.monotonic()
            if now >= deadline:
                break
            wait = min(deadline, next_bookmark if bookmarks else deadline) - now
            seq, batch, current = store.events_since(seq, max(0.0, min(wait, 1.0)), stop)
            if batch is None:
                emit(b'{"type":"ERROR","object":' + status_body(
                    410, "too old resource version: the watch fell behind the event history", "Expired") + b"}\n")
                break
            for ev in batch:
                if ev.plural != res.plural:
                    continue
                kind = _event_type(ev, namespace, labels, fields)
                if kind is not None:
                    emit(_EVENT_HEAD[kind], ev.entry.data, _EVENT_TAIL)
            if bookmarks and time.monotonic() >= next_bookmark:
                emit(bookmark(current))
                next_bookmark = time.monotonic() + interval
        flush()
        if stop.is_set():
            self.connection.shutdown(socket.SHUT_RDWR)
            raise _Stop
        self._end()

    def _end(self) -> None:
        self.wfile.write(b"0\r\n\r\n")


def _matches(e: Entry, labels, fields) -> bool:
    return (labels is None or labels(e.labels)) and (fields is None or fields(e.fields))


def _visible(e: Entry | None, namespace: str, labels, fields) -> bool:
    return e is not None and (not namespace or e.namespace == namespace) and _matches(e, labels, fields)


_EVENT_HEAD = {kind: b'{"type":"%s","object":' % kind.encode() for kind in ("ADDED", "MODIFIED", "DELETED")}
_EVENT_TAIL = b"}\n"


def _event_type(ev, namespace: str, labels, fields) -> str | None:
    """The event a filtered watch sees (None: none): objects moving in or out of the selection appear
    ADDED or DELETED."""
    now = _visible(ev.entry, namespace, labels, fields)
    if ev.type == "MODIFIED":
        before = _visible(ev.old, namespace, labels, fields)
        kind = "MODIFIED" if before and now else "ADDED" if now else "DELETED" if before else None
    elif ev.type == "DELETED":
        kind = "DELETED" if _visible(ev.old, namespace, labels, fields) else None
    else:
        kind = "ADDED" if now else None
    return kind


def _route(path: str) -> tuple[Resource, str, str] | None:
    """(resource, namespace, name) for /api/v1/... and /apis/<group>/<version>/... paths."""
    parts = path.strip("/").split("/")
    if parts[0] == "api" and len(parts) >= 3 and parts[1] == "v1":
        group, version, rest = "", "v1", parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = name = ""
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    if len(rest) == 2 and namespace:
        plural, name = rest
    elif len(rest) == 1:
        plural = rest[0]
    else:
        return None
    res = RESOURCES.get(plural)
    if res is None or res.group != group or res.version != version:
        return None
    return res, namespace, name


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler, context: ssl.SSLContext):
        super().__init__(address, handler)
        self.context = context

    def get_request(self):
        sock, addr = self.socket.accept()
        # The TLS handshake happens in the request's own thread, so one slow client never stalls accept().
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        pass  # a client that goes away mid-request is normal here


class ApiServer:
    """An API server on https://127.0.0.1:<free port> serving raw objects; use as a context manager.

    `objects` are API dicts by kind, loaded in the mapping's order; what changes them later
    (tests, the simulated world) writes through `apply` and `delete`, which watchers see.
    """

    def __init__(self, objects: Mapping[str, Iterable[dict]] | None = None, *, name: str | None = None,
                 token: str | None = None, eks_cluster: str | None = None, eks_secrets: dict | None = None,
                 sts_hosts: tuple[str, ...] = (), history: int = 5000, bookmark_interval: float = 5.0,
                 continue_ttl: float = 300.0):
        self.name = name or "sim"
        self.token = token or secrets.token_urlsafe(24)
        self.tokens = TokenCheck(self.token, eks_cluster or self.name, eks_secrets, sts_hosts)
        self.faults = Faults()
        self.store = Store(history=history, continue_ttl=continue_ttl)
        self.bookmark_interval = bookmark_interval
        self.requests: deque[Request] = deque(maxlen=20000)
        self._closing = threading.Event()
        self._connections: set = set()
        self._connections_lock = threading.Lock()
        for kind, items in (objects or {}).items():
            self.store.load(kind, items)

        self._dir = Path(tempfile.mkdtemp(prefix="sliceaudit-sim-"))
        ca = trustme.CA(organization_name="sliceaudit simulator")
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_pem = ca.cert_pem.bytes()
        self.ca_file = str(self._dir / "ca.crt")
        ca.cert_pem.write_to_path(self.ca_file)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        self._httpd = _HTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"api": self}), context)
        self.port = self._httpd.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def _track(self, connection, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    @property
    def ca_data(self) -> str:
        """The CA certificate, base64 as kubeconfig's certificate-authority-data wants it."""
        return base64.b64encode(self.ca_pem).decode()

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> ApiServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                            name=f"sim-apiserver-{self.name}", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        if self._closing.is_set():
            return
        self._closing.set()
        self.store.wake()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        with self._connections_lock:
            open_connections = list(self._connections)
        for conn in open_connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._httpd.server_close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- changes ------------------------------------------------------------------------

    def apply(self, kind: str, obj: dict) -> dict:
        """Creates or replaces one object (ADDED / MODIFIED for watchers); returns it as stored."""
        entry = self.store.put(resource(kind).kind, obj)
        return json.loads(entry.data)

    def delete(self, kind: str, namespace: str, name: str) -> bool:
        return self.store.delete(resource(kind).kind, namespace, name) is not None
