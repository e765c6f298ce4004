"""A hostile "Kubernetes API server" on 127.0.0.1 over HTTPS, speaking raw bytes so it can misbehave
below HTTP too. Every loop it runs is bounded (LIFETIME), and it stops when its context ends.

Modes (each list request gets the same treatment):
  drip-body     headers at once, then the body a byte every DRIP seconds
  drip-chunked  the same, the body sent chunked (no Content-Length)
  drip-headers  the status line and headers a byte every DRIP seconds
  endless-pages every page full of objects and a fresh continue token, for ever
  same-token    every page hands back the continue token it was asked with
  empty-pages   no objects, a fresh continue token, for ever
  deep-json     a list response nested NEST levels deep
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import ssl
import threading
import time

import trustme

MODES = ("drip-body", "drip-chunked", "drip-headers", "endless-pages", "same-token", "empty-pages", "deep-json")
DRIP = 0.5
LIFETIME = 120.0
NEST = 100_000
PAGE_ITEMS = 1000   # a hostile server ignores `limit`


class HostileApi:
    def __init__(self, mode: str):
        assert mode in MODES, mode
        self.mode = mode
        self.pages = 0
        self.closing = threading.Event()
        ca = trustme.CA()
        self.ca_data = base64.b64encode(ca.cert_pem.bytes()).decode()
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(self._context)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.url = f"https://127.0.0.1:{self._listener.getsockname()[1]}"
        self._conns: set[socket.socket] = set()
        self._started = time.monotonic()

    def kubeconfig(self, name: str) -> dict:
        """A one-context kubeconfig (content) for this server."""
        return kubeconfig(name, self.url, self.ca_data)

    # --- serving ---------------------------------------------------------------------------

    def _alive(self) -> bool:
        return not self.closing.is_set() and time.monotonic() - self._started < LIFETIME

    def _serve(self) -> None:
        while self._alive():
            try:
                sock, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._connection, args=(sock,), daemon=True).start()

    def _connection(self, raw: socket.socket) -> None:
        self._conns.add(raw)
        with contextlib.suppress(OSError, ssl.SSLError), raw:
            raw.settimeout(10)
            conn = self._context.wrap_socket(raw, server_side=True)
            reader = conn.makefile("rb")
            while self._alive():
                request = reader.readline()
                if not request:
                    return
                while reader.readline() not in (b"\r\n", b"\n", b""):
                    pass   # headers: nothing in them changes the answer
                path = request.split()[1].decode()
                self._answer(conn, path)

    def _answer(self, conn: ssl.SSLSocket, path: str) -> None:
        if self.mode == "deep-json":
            body = b'{"kind":"List","metadata":{},"items":[' + b"[" * NEST + b"]" * NEST + b"]}"
        elif self.mode.startswith("drip"):
            body = json.dumps({"kind": "List", "metadata": {}, "items": [], "pad": "x" * 10_000}).encode()
        else:
            body = json.dumps(self._page(path)).encode()
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        if self.mode == "drip-chunked":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            self._drip(conn, b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 100]), body[i:i + 100])
                                      for i in range(0, len(body), 100)) + b"0\r\n\r\n")
        elif self.mode == "drip-headers":
            self._drip(conn, head + body)
        elif self.mode == "drip-body":
            conn.sendall(head)
            self._drip(conn, body)
        else:
            conn.sendall(head + body)

    def _drip(self, conn: ssl.SSLSocket, data: bytes) -> None:
        for i in range(len(data)):
            if not self._alive():
                return
            conn.sendall(data[i:i + 1])
            time.sleep(DRIP)

    def _page(self, path: str) -> dict:
        self.pages += 1
        asked = re.search(r"[?&]continue=([^&]+)", path)
        token = asked.group(1) if asked and self.mode == "same-token" else f"page-{self.pages}"
        kind = "EndpointSlice" if "endpointslices" in path else "Service"
        count = 0 if self.mode == "empty-pages" else PAGE_ITEMS
        items = [{"kind": kind, "metadata": {"namespace": "endless", "name": f"o-{self.pages}-{i}"}}
                 for i in range(count)]
        return {"kind": f"{kind}List", "apiVersion": "v1", "metadata": {"resourceVersion": "1", "continue": token},
                "items": items}

    def __enter__(self) -> HostileApi:
        threading.Thread(target=self._serve, name=f"hostile-{self.mode}", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.closing.set()
        for conn in list(self._conns):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._listener.close()


def kubeconfig(name: str, url: str, ca_data: str = "") -> dict:
    """A one-context kubeconfig (content) for a server at `url`."""
    return {"apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": url, "certificate-authority-data": ca_data}}],
            "users": [{"name": name, "user": {"token": "hostile"}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name}


def merged_kubeconfig(*configs: dict) -> dict:
    """One kubeconfig holding every context of `configs`, the first one's current."""
    out = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": [],
           "current-context": configs[0]["current-context"]}
    for config in configs:
        for key in ("clusters", "users", "contexts"):
            out[key].extend(config[key])
    return out
