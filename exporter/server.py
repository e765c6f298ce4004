"""HTTP endpoints: /metrics (Prometheus text format), /healthz (alive), /readyz (every cluster tried).

One thread per open connection, at most `max_connections` of them: a client that opens many
connections and sends nothing must not make threads without end. At the cap, the connection that
has waited longest for a request (idle keep-alive, or a request line or headers that never finish)
is closed for the newcomer; a connection busy answering a request is never closed. Prometheus
sends its request as soon as it connects, so its scrapes keep working through such a flood.
"""

from __future__ import annotations

import gzip
import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, HTTPServer

from exporter.collector import render
from exporter.config import DEFAULT_MAX_CONNECTIONS
from exporter.metrics.text import CONTENT_TYPE
from exporter.state import ClusterState

log = logging.getLogger(__name__)

GZIP_MIN = 4096         # smaller bodies are not worth the CPU
IDLE_TIMEOUT = 300.0    # seconds a connection may wait for a request (scrapes come far more often)
WRITE_TIMEOUT = 30.0    # seconds a client may take to accept each part of a response
SLOT_WAIT = 5.0         # seconds a new connection waits for a slot when every connection is busy answering


class MetricsServer(HTTPServer):
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], clusters: Callable[[], Sequence[ClusterState]], *,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS):
        self.clusters = clusters
        self._ready = False
        self._slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self._waiting: dict[socket.socket, float | None] = {}  # open connection -> waiting since, None: busy
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def ready(self) -> tuple[bool, list[str]]:
        """Ready once every cluster has listed everything, or failed trying (its cluster_up says 0).

        Once ready, always ready: a cluster added to the kubeconfig later must not take the
        exporter out of its Service (and every other cluster's series out of Prometheus) while it lists.
        """
        if self._ready:
            return True, []
        waiting = [c.name for c in self.clusters() if not c.attempted]
        self._ready = not waiting
        return self._ready, waiting

    def start(self) -> threading.Thread:
        t = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2},
                             name="metrics-http", daemon=True)
        t.start()
        return t

    # --- connections -----------------------------------------------------------------------

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(blocking=False):
            self._close_longest_waiting()
            if not self._slots.acquire(timeout=SLOT_WAIT):  # every connection is busy answering
                self.shutdown_request(request)
                return
        with self._lock:
            self._waiting[request] = time.monotonic()
        try:
            threading.Thread(target=self._serve, args=(request, client_address), name="metrics-connection",
                             daemon=True).start()
        except RuntimeError:  # the system refuses another thread: this connection is not served
            self._forget(request)
            self.shutdown_request(request)

    def _serve(self, request, client_address) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 (a client that goes away mid-response is normal)
            self.handle_error(request, client_address)
        finally:
            self._forget(request)
            self.shutdown_request(request)

    def _forget(self, request) -> None:
        with self._lock:
            self._waiting.pop(request, None)
        self._slots.release()

    def _close_longest_waiting(self) -> None:
        with self._lock:
            idle = [(since, conn) for conn, since in self._waiting.items() if since is not None]
            if not idle:
                return
            _, conn = min(idle, key=lambda item: item[0])
            self._waiting[conn] = None  # closed once: the next newcomer picks another
        try:
            conn.shutdown(socket.SHUT_RDWR)  # its thread reads the end of the stream and finishes
        except OSError:
            pass

    def mark(self, conn, busy: bool) -> None:
        """A connection starts answering a request (not to be closed), or waits for the next one."""
        with self._lock:
            if conn in self._waiting:
                self._waiting[conn] = None if busy else time.monotonic()

    def handle_error(self, request, client_address) -> None:
        log.debug("http: connection from %s ended with an error", client_address[0], exc_info=True)

    def server_close(self) -> None:
        super().server_close()
        with self._lock:
            conns = list(self._waiting)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    server: MetricsServer
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT

    def do_GET(self) -> None:
        self.server.mark(self.request, busy=True)
        self.request.settimeout(WRITE_TIMEOUT)
        try:
            self._route(self.path.split("?", 1)[0])
        finally:
            self.request.settimeout(IDLE_TIMEOUT)
            self.server.mark(self.request, busy=False)

    def _route(self, path: str) -> None:
        if path == "/metrics":
            self._metrics()
        elif path == "/healthz":
            self._send(200, b"ok\n")
        elif path == "/readyz":
            ok, waiting = self.server.ready()
            body = b"ok\n" if ok else ("waiting for the first list of: " + ", ".join(waiting) + "\n").encode()
            self._send(200 if ok else 503, body)
        elif path == "/":
            self._send(200, b"sliceaudit exporter: /metrics /healthz /readyz\n")
        else:
            self._send(404, b"not found\n")

    def _metrics(self) -> None:
        try:
            body = render(self.server.clusters())
        except Exception:  # a scrape must report the failure, not hang up
            log.exception("cannot render /metrics")
            self._send(500, b"cannot render metrics; see the exporter's log\n")
            return
        encoding = None
        if len(body) >= GZIP_MIN and "gzip" in self.headers.get("Accept-Encoding", ""):
            body, encoding = gzip.compress(body, compresslevel=1), "gzip"
        self._send(200, body, CONTENT_TYPE, encoding)

    def _send(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8",
              encoding: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        log.debug("http: " + format, *args)
