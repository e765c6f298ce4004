"""Real processes for the end-to-end test: start on loopback ports, wait until ready, stop by pid."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


def binary(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if os.access(f"/usr/bin/{name}", os.X_OK) else None)
    if path is None:
        pytest.skip(f"{name} not installed (bash scripts/install-tools.sh)")
    return path


class Process:
    """A child process whose output goes to a log file, shown when something fails."""

    def __init__(self, name: str, args: list[str], log: Path, env: dict | None = None):
        self.name = name
        self.log = log
        self._out = open(log, "wb")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(args, stdout=self._out, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return f"--- {self.name} (pid {self.pid}) log ---\n" + "\n".join(text[-lines:])

    def alive(self) -> None:
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}\n{self.tail()}")

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM by pid, then SIGKILL if it does not leave in time; returns the exit status."""
        try:
            if self.proc.poll() is None:
                os.kill(self.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    os.kill(self.pid, signal.SIGKILL)
                    self.proc.wait(5)
        finally:
            self._out.close()
        return self.proc.returncode


def stop_all(procs: list[Process]) -> dict[str, int | None]:
    """Stops every process, last started first, even when stopping one of them fails."""
    statuses: dict[str, int | None] = {}
    failure: BaseException | None = None
    for p in reversed(procs):
        try:
            statuses[p.name] = p.stop()
        except BaseException as err:  # noqa: BLE001 (the others must still be stopped; re-raised below)
            failure = failure or err
    if failure is not None:
        raise failure
    return statuses


def get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_until(what: str, predicate, procs: list[Process], timeout: float = 30.0, every: float = 0.2):
    """Polls `predicate` (a result that is truthy ends the wait) while every process stays alive."""
    deadline = time.monotonic() + timeout
    while True:
        for p in procs:
            p.alive()
        try:
            result = predicate()
        except (OSError, ValueError):
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n" + "\n".join(p.tail() for p in procs))
        time.sleep(every)


class Webhook:
    """Alertmanager's webhook receiver: every notification, with the path it was sent to."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[str, dict]] = queue.Queue()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.put((self.path, json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def wait_for(self, match, procs: list[Process], timeout: float = 40.0) -> tuple[str, dict]:
        """The first (path, alert) for which match(path, alert) holds; other notifications are skipped."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in procs:
                p.alive()
            try:
                path, note = self.received.get(timeout=0.5)
            except queue.Empty:
                continue
            for alert in note.get("alerts", ()):
                if match(path, alert):
                    return path, alert
        raise AssertionError("no matching notification\n" + "\n".join(p.tail() for p in procs))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
