"""HTTP endpoints: /metrics (Prometheus text format), /healthz (alive), /readyz (every cluster tried)."""

from __future__ import annotations

import gzip
import logging
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from exporter.collector import render
from exporter.metrics.text import CONTENT_TYPE
from exporter.state import ClusterState

log = logging.getLogger(__name__)

GZIP_MIN = 4096  # smaller bodies are not worth the CPU


class MetricsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], clusters: Sequence[ClusterState]):
        self.clusters = tuple(clusters)
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def ready(self) -> tuple[bool, list[str]]:
        """Ready once every cluster has listed everything, or failed trying (its cluster_up says 0)."""
        waiting = [c.name for c in self.clusters if not c.attempted]
        return not waiting, waiting

    def start(self) -> threading.Thread:
        t = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2},
                             name="metrics-http", daemon=True)
        t.start()
        return t


class _Handler(BaseHTTPRequestHandler):
    server: MetricsServer
    protocol_version = "HTTP/1.1"
    timeout = 300  # seconds an idle keep-alive connection may hold its thread (scrapes come far more often)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
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
            body = render(self.server.clusters)
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
