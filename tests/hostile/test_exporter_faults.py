"""The exporter as a real process against hostile or careless API servers on loopback.

Each class of fault from issue 10 is one test: garbage and malformed objects are warned about a
few times and counted, not logged line by line; SIGTERM ends the process within 10 s whatever
request is stalled; a flood of idle connections neither makes threads without end nor stops
scrapes; the kubeconfig is followed as it changes. Every server stops itself and every wait is
bounded. A stalled list or watch is the simulated API server's slow-response fault; what no
faithful server does (no TLS, lines that are not JSON, pagination without end) is HostileApi's.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "exporter"))
from exporter_e2ekit import Process, get, wait_until  # noqa: E402
from exporter_testkit import free_port  # noqa: E402

from sliceaudit.sim.apiserver.server import ApiServer  # noqa: E402
from sliceaudit.sim.fleetrun import SimulatedFleet, kubeconfig_for  # noqa: E402

pytestmark = pytest.mark.timeout(120)

STOP_DEADLINE = 10.0  # Kubernetes sends SIGKILL 30 s after SIGTERM; the issue asks for 10
STALL = 30.0  # seconds the simulator holds a stalled request: longer than any test waits on it


# --- a hostile API server ----------------------------------------------------------------------


class HostileApi:
    """An HTTPS "API server" on 127.0.0.1 that misbehaves in one `mode`:

    stall-handshake: accepts TCP and never speaks TLS;
    garbage-watch: answers the lists, then streams lines that are not JSON, fast, until closed;

    endless-pages: every page of a list holds objects and a fresh continue token, for ever (up
    to `MAX_PAGES`, so that an exporter without a bound ends its list rather than the machine);
    same-token: every page hands back the continue token it was asked with.
    """

    MODES = ("stall-handshake", "garbage-watch", "endless-pages", "same-token")
    MAX_PAGES = 3000

    def __init__(self, mode: str):
        assert mode in self.MODES
        self.mode = mode
        self.closing = threading.Event()
        self.requests: list[str] = []
        self.pages = 0
        ca = trustme.CA()
        self.ca_data = base64.b64encode(ca.cert_pem.bytes()).decode()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        api = self
        self._conns: set[socket.socket] = set()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                api._conns.add(self.request)
                if api.mode == "stall-handshake":
                    api.closing.wait()
                    raise ConnectionAbortedError
                self.request.do_handshake()
                super().setup()

            def do_GET(self):  # noqa: N802 (http.server's naming)
                api.requests.append(self.path)
                if "watch=" not in self.path:
                    body = json.dumps(api.page(self.path)).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.close_connection = True
                n = 0
                while not api.closing.is_set():
                    lines = []
                    for _ in range(100):  # every line a new complaint: other bytes, or another object's name
                        n += 1
                        lines.append(b"[" * (n % 97) + b"\x1b[31m garbage\n" if n % 2 else
                                     b'{"type":"ADDED","object":{"kind":"EndpointSlice","metadata":{"namespace":'
                                     b'"ns","name":"junk-%d\\u001b[2J","resourceVersion":"%d"},'
                                     b'"ports":"x"}}\n' % (n, n))
                    block = b"".join(lines)
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                    time.sleep(0.002)  # tens of thousands of lines a second: a flood, not a CPU hog

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                sock, addr = self.socket.accept()
                if api.mode == "stall-handshake":
                    return sock, addr
                return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

            def handle_error(self, request, client_address):
                pass

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"https://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)

    def page(self, path: str) -> dict:
        """A list response: empty and complete, or one more page of an endless list."""
        meta: dict = {"resourceVersion": "1"}
        items: list = []
        if self.mode in ("endless-pages", "same-token"):
            self.pages += 1
            token = re.search(r"[?&]continue=([^&]+)", path)
            if self.pages < self.MAX_PAGES:
                meta["continue"] = token.group(1) if token and self.mode == "same-token" else f"page-{self.pages}"
            kind = "EndpointSlice" if "endpointslices" in path else "Service"
            items = [{"kind": kind, "metadata": {"namespace": "endless", "name": f"o-{self.pages}-{i}",
                                                 "resourceVersion": "1", "labels": {"pad": "x" * 200}}}
                     for i in range(100)]
        return {"kind": "List", "apiVersion": "v1", "metadata": meta, "items": items}

    def kubeconfig(self, name: str) -> dict:
        return {"apiVersion": "v1", "kind": "Config",
                "clusters": [{"name": name,
                              "cluster": {"server": self.url, "certificate-authority-data": self.ca_data}}],
                "users": [{"name": name, "user": {"token": "hostile"}}],
                "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                "current-context": name}

    def __enter__(self) -> HostileApi:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.closing.set()
        self._httpd.shutdown()
        for conn in list(self._conns):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()


# --- the exporter as a process -------------------------------------------------------------------


def write_yaml(path: Path, doc: dict) -> Path:
    """Atomically, as a mounted Secret or `kubectl config` replaces the file."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(doc, sort_keys=False))
    os.replace(tmp, path)
    return path


def start_exporter(tmp_path: Path, kubeconfig: Path, *args: str) -> tuple[Process, str]:
    addr = f"127.0.0.1:{free_port()}"
    proc = Process("exporter", [sys.executable, "-m", "sliceaudit.cli.main", "exporter", "--kubeconfig",
                                str(kubeconfig), "--all-contexts", "--listen", addr, *args],
                   tmp_path / "exporter.log")
    return proc, f"http://{addr}"


def metrics(base: str) -> str:
    status, body = get(f"{base}/metrics")
    assert status == 200
    return body.decode()


def sample(body: str, name: str, **labels: str) -> float | None:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    m = re.search(rf"^{re.escape(name)}{{{re.escape(want)}}} (\S+)$", body, re.MULTILINE)
    return float(m.group(1)) if m else None


def threads_of(pid: int) -> int:
    return int(re.search(r"^Threads:\s+(\d+)", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE).group(1))


def stop_within(proc: Process, seconds: float) -> int:
    os.kill(proc.pid, signal.SIGTERM)
    try:
        return proc.proc.wait(seconds)
    except Exception:
        raise AssertionError(f"the exporter did not stop within {seconds} s of SIGTERM\n{proc.tail()}") from None
    finally:
        proc.stop()


# --- the tests -----------------------------------------------------------------------------------


def test_a_garbage_watch_stream_is_counted_and_warned_about_a_few_times(tmp_path):
    with HostileApi("garbage-watch") as api:
        kubeconfig = write_yaml(tmp_path / "kubeconfig", api.kubeconfig("junk"))
        proc, base = start_exporter(tmp_path, kubeconfig)
        try:
            def rejected() -> float:
                return sample(metrics(base), "sliceaudit_objects_rejected_total", cluster="junk",
                              resource="endpointslices") or 0

            wait_until("thousands of garbage lines to reach the exporter", lambda: rejected() > 20_000, [proc],
                       timeout=60)
            rss_kb = int(re.search(r"^VmRSS:\s+(\d+)", Path(f"/proc/{proc.pid}/status").read_text(),
                                   re.MULTILINE).group(1))
        finally:
            assert stop_within(proc, STOP_DEADLINE) == 0
    log = proc.log.read_text(errors="replace")
    warnings = [line for line in log.splitlines() if "cluster junk endpointslices: rejected" in line]
    assert 1 <= len(warnings) <= 5, log[-3000:]
    assert re.search(r"cluster junk endpointslices: \d+ more warnings about rejected objects suppressed", log)
    assert "\x1b" not in log  # the stream's escape sequences are escaped before they reach a terminal
    assert "Traceback" not in log
    assert rss_kb < 400_000  # bounded: nothing is kept per rejected line


@contextlib.contextmanager
def stalled_server(mode: str):
    """(kubeconfig, has the stalled request arrived?) for a server that never answers one kind of request:
    the TLS handshake (below HTTP: HostileApi), or every list or watch (the simulator's delay fault)."""
    if mode == "stall-handshake":
        with HostileApi(mode) as api:
            yield api.kubeconfig("stalled"), lambda: bool(api._conns)
        return
    with ApiServer(name="stalled") as server:
        stalled = server.faults.add(on=mode.removeprefix("stall-"), delay=STALL, times=None)
        yield kubeconfig_for({"stalled": server}), lambda: stalled.hits > 0


@pytest.mark.parametrize("mode", ["stall-handshake", "stall-list", "stall-watch"])
def test_sigterm_stops_the_exporter_within_10_s_while_a_request_is_stalled(tmp_path, mode):
    with stalled_server(mode) as (config, arrived):
        kubeconfig = write_yaml(tmp_path / "kubeconfig", config)
        proc, base = start_exporter(tmp_path, kubeconfig)
        try:
            wait_until("the exporter to serve", lambda: get(f"{base}/healthz")[0] == 200, [proc])
            wait_until("a stalled request", arrived, [proc])
            time.sleep(0.5)  # the request is now blocked in a read
        finally:
            status = stop_within(proc, STOP_DEADLINE)
    assert status == 0, proc.tail()
    assert "Traceback" not in proc.log.read_text(errors="replace")


def test_idle_connections_hold_bounded_threads_and_scrapes_keep_working(tmp_path):
    dead = f"https://127.0.0.1:{free_port()}"  # nothing listens: the exporter serves its own metrics
    kubeconfig = write_yaml(tmp_path / "kubeconfig", {
        "apiVersion": "v1", "kind": "Config", "clusters": [{"name": "dead", "cluster": {"server": dead}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "u"}}], "current-context": "dead"})
    proc, base = start_exporter(tmp_path, kubeconfig, "--max-connections", "16")
    host, port = base.removeprefix("http://").split(":")
    idle: list[socket.socket] = []
    try:
        wait_until("the exporter to serve", lambda: get(f"{base}/healthz")[0] == 200, [proc])
        before = threads_of(proc.pid)
        for i in range(300):
            s = socket.create_connection((host, int(port)), timeout=5)
            if i % 2:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # headers that never end (slowloris)
            idle.append(s)
        time.sleep(1.0)
        assert threads_of(proc.pid) <= before + 16
        for _ in range(3):  # Prometheus connects and asks at once: it is served through the flood
            status, body = get(f"{base}/metrics", timeout=10)
            assert status == 200 and b'sliceaudit_cluster_up{cluster="dead"} 0' in body
        assert threads_of(proc.pid) <= before + 16
    finally:
        for s in idle:
            s.close()
        assert stop_within(proc, STOP_DEADLINE) == 0


def test_the_kubeconfig_is_followed_as_clusters_come_go_and_credentials_change(tmp_path):
    with SimulatedFleet(clusters=3, services=4, seed=3, broken_share=0.0, names=["alpha", "beta", "gamma"],
                        bookmark_interval=0.5) as fleet, ApiServer(name="stalled") as stalled:
        stalled_lists = stalled.faults.add(on="list", delay=STALL, times=None)
        full = kubeconfig_for(fleet.servers)
        for section, entries in kubeconfig_for({"stalled": stalled}).items():
            if isinstance(entries, list):
                full[section] += entries

        def only(*names: str, bad_token_for: str | None = None) -> dict:
            doc = json.loads(json.dumps(full))
            for section in ("clusters", "users", "contexts"):
                doc[section] = [e for e in doc[section] if e["name"] in names]
            for user in doc["users"]:
                if user["name"] == bad_token_for:
                    user["user"]["token"] = "revoked"
            doc["current-context"] = names[0]
            return doc

        kubeconfig = write_yaml(tmp_path / "kubeconfig", only("alpha", "beta", bad_token_for="beta"))
        proc, base = start_exporter(tmp_path, kubeconfig, "--reload-interval", "0.5")
        try:
            def up(name: str) -> float | None:
                return sample(metrics(base), "sliceaudit_cluster_up", cluster=name)

            def services(name: str) -> int:
                return metrics(base).count(f'sliceaudit_endpoints{{cluster="{name}",')

            wait_until("alpha up, beta refused", lambda: up("alpha") == 1 and up("beta") == 0, [proc])
            assert services("alpha") == 4 and services("beta") == 0

            write_yaml(kubeconfig, only("alpha", "beta"))  # beta's credentials rotated to a good token
            wait_until("beta up with its new token", lambda: up("beta") == 1, [proc])
            assert services("beta") == 4

            assert get(f"{base}/readyz")[0] == 200
            write_yaml(kubeconfig, only("beta", "gamma", "stalled"))  # alpha removed; gamma and a stalled one added
            wait_until("gamma up and alpha gone", lambda: up("gamma") == 1 and up("alpha") is None, [proc])
            assert services("alpha") == 0 and services("gamma") == 4 and up("beta") == 1
            assert up("stalled") == 0 and stalled_lists.hits
            assert get(f"{base}/readyz")[0] == 200  # a cluster still listing does not make it unready again

            (tmp_path / "kubeconfig").write_text("clusters: [unfinished")  # a broken edit keeps what runs
            time.sleep(1.5)
            assert up("beta") == 1 and up("gamma") == 1
        finally:
            assert stop_within(proc, STOP_DEADLINE) == 0
    log = proc.log.read_text(errors="replace")
    assert "cluster alpha: no longer in the kubeconfig" in log
    assert "cannot be used" in log and "Traceback" not in log


@pytest.mark.parametrize("mode", ["endless-pages", "same-token"])
def test_a_list_that_never_ends_stops_at_its_deadline_in_bounded_memory(tmp_path, mode):
    with HostileApi(mode) as api:
        kubeconfig = write_yaml(tmp_path / "kubeconfig", api.kubeconfig("endless"))
        proc, base = start_exporter(tmp_path, kubeconfig, "--list-timeout", "3")
        try:
            def failed_line() -> str | None:
                lines = proc.log.read_text(errors="replace").splitlines()
                return next((line for line in lines if "cluster endless " in line and "WARNING" in line), None)

            line = wait_until("a line saying the list was given up", failed_line, [proc], timeout=60)
            assert sample(metrics(base), "sliceaudit_cluster_up", cluster="endless") == 0
            assert api.pages < HostileApi.MAX_PAGES  # given up, not run to the server's own end
            rss_kb = int(re.search(r"^VmRSS:\s+(\d+)", Path(f"/proc/{proc.pid}/status").read_text(),
                                   re.MULTILINE).group(1))
        finally:
            assert stop_within(proc, STOP_DEADLINE) == 0
    assert rss_kb < 400_000, line
    assert "Traceback" not in proc.log.read_text(errors="replace")
