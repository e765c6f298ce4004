"""Exec credential plugins of a user's own kubeconfig, run bounded: a deadline, capped output, stderr unshown.

The protocol is client-go's (staging/src/k8s.io/client-go/plugin/pkg/client/auth/exec/exec.go): the
plugin gets KUBERNETES_EXEC_INFO, answers an ExecCredential on stdout, and is run again once its
credential expires. It runs in its own process group, so on expiry it and its children are killed.
Its stderr is read and dropped: plugins print tokens and URLs there, and error text would reach logs.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sliceaudit.kube.errors import ClusterError, one_line

DEFAULT_SECONDS = 60.0              # when the caller has no deadline (the exporter, a bare connect)
MAX_ANSWER_BYTES = 1024 * 1024      # an ExecCredential is a few kB
EXPIRY_MARGIN_SECONDS = 10.0        # run the plugin again this long before its credential expires


@dataclass(frozen=True)
class ExecCredential:
    """What a plugin answered: a bearer token, or a client certificate and key (PEM); maybe an expiry."""

    token: str | None
    client_certificate: str | None
    client_key: str | None
    expires: datetime | None


def run_plugin(exec_: Mapping[str, Any], *, deadline: float | None = None,
               cluster: Mapping[str, Any] | None = None) -> ExecCredential:
    """Runs the kubeconfig `exec` entry once; ClusterError (one line, no plugin output) when it fails.

    `deadline` is a time.monotonic() value; None means DEFAULT_SECONDS from now.
    """
    command = exec_["command"]
    shown = f"exec credential plugin {one_line(os.path.basename(command), 60)!r}"
    api_version = exec_.get("apiVersion")
    if not api_version:
        raise ClusterError(f"{shown}: the exec entry has no apiVersion", reason="config")
    env = dict(os.environ)
    env.update({e["name"]: e["value"] for e in exec_.get("env") or ()})
    spec: dict[str, Any] = {"interactive": False}
    if exec_.get("provideClusterInfo") and cluster is not None:
        spec["cluster"] = {k: v for k, v in (("server", cluster.get("server")),
                                              ("certificate-authority-data", cluster.get("certificate-authority-data")),
                                              ("tls-server-name", cluster.get("tls-server-name"))) if v}
    env["KUBERNETES_EXEC_INFO"] = json.dumps({"apiVersion": api_version, "kind": "ExecCredential", "spec": spec})
    limit = deadline if deadline is not None else time.monotonic() + DEFAULT_SECONDS
    started = time.monotonic()
    try:
        proc = subprocess.Popen([command, *(exec_.get("args") or ())], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    except FileNotFoundError:
        raise ClusterError(f"{shown}: command not found", reason="config") from None
    except OSError as err:
        raise ClusterError(f"{shown}: cannot run it ({err.strerror or type(err).__name__})", reason="config") from None
    try:
        answer = _answer(proc, limit, shown, started)
    finally:
        _stop(proc)
    return _credential(answer, api_version, shown)


def _answer(proc: subprocess.Popen, limit: float, shown: str, started: float) -> bytes:
    """Stdout once the plugin has exited 0; stderr is drained and dropped."""
    out = bytearray()
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        sel.register(proc.stderr, selectors.EVENT_READ)
        while sel.get_map():
            left = limit - time.monotonic()
            if left <= 0:
                raise _timeout(shown, started)
            for key, _ in sel.select(left):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                elif key.fileobj is proc.stdout:
                    out += chunk
                    if len(out) > MAX_ANSWER_BYTES:
                        raise ClusterError(f"{shown}: answer larger than {MAX_ANSWER_BYTES // 1024} KiB",
                                           reason="config")
    try:
        status = proc.wait(timeout=max(0.0, limit - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise _timeout(shown, started) from None
    if status != 0:
        raise ClusterError(f"{shown} exited with status {status} (its messages are not shown: run it by hand "
                           "to see them)", reason="config")
    return bytes(out)


def _timeout(shown: str, started: float) -> ClusterError:
    return ClusterError(f"{shown} did not answer within {time.monotonic() - started:.0f} s: stopped it",
                        reason="timeout")


def _stop(proc: subprocess.Popen) -> None:
    """Kills the plugin's process group if it still runs, and reaps it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        pipe.close()


def _credential(answer: bytes, api_version: str, shown: str) -> ExecCredential:
    try:
        data = json.loads(answer)
    except (ValueError, RecursionError):
        raise ClusterError(f"{shown}: answer is not JSON", reason="config") from None
    if not isinstance(data, dict) or data.get("kind") != "ExecCredential" or not isinstance(data.get("status"), dict):
        raise ClusterError(f"{shown}: answer is not an ExecCredential", reason="config")
    if data.get("apiVersion") != api_version:
        raise ClusterError(f"{shown}: answered apiVersion {one_line(data.get('apiVersion'), 80)!r}, "
                           f"asked {api_version!r}", reason="config")
    status = data["status"]
    token, cert, key = status.get("token"), status.get("clientCertificateData"), status.get("clientKeyData")
    if not (isinstance(token, str) and token) and not (isinstance(cert, str) and isinstance(key, str) and cert and key):
        raise ClusterError(f"{shown}: answer has neither a token nor a client certificate and key", reason="config")
    expires = None
    stamp = status.get("expirationTimestamp")
    if stamp:
        try:
            expires = datetime.fromisoformat(str(stamp))
        except ValueError:
            raise ClusterError(f"{shown}: expirationTimestamp is not RFC 3339", reason="config") from None
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
    if isinstance(token, str) and token:
        return ExecCredential(token, None, None, expires)
    return ExecCredential(None, cert, key, expires)


class PluginTokens:
    """Bearer tokens from an exec plugin: run once, again when the credential is about to expire."""

    def __init__(self, exec_: Mapping[str, Any], *, deadline: float | None = None,
                 cluster: Mapping[str, Any] | None = None, clock=lambda: datetime.now(UTC)):
        self._exec = exec_
        self._deadline = deadline
        self._cluster = cluster
        self._clock = clock
        self._lock = threading.Lock()
        self._current: ExecCredential | None = None

    def credential(self) -> ExecCredential:
        with self._lock:
            c = self._current
            if c is None or (c.expires is not None
                             and (c.expires - self._clock()).total_seconds() < EXPIRY_MARGIN_SECONDS):
                self._current = c = run_plugin(self._exec, deadline=self._deadline, cluster=self._cluster)
            return c

    def token(self) -> str:
        token = self.credential().token
        if token is None:
            raise ClusterError("exec credential plugin switched from a token to a client certificate",
                               reason="config")
        return token
