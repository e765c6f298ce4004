"""One error type per cluster failure, with a one-line message that never carries a secret."""

from __future__ import annotations

import re
import socket
import ssl

import urllib3.exceptions
from kubernetes.client.exceptions import ApiException


class ClusterError(Exception):
    """A cluster could not be read; `str()` is one line fit for a report, `reason` a short code."""

    def __init__(self, message: str, *, reason: str = "error", status: int | None = None):
        super().__init__(one_line(message))
        self.reason = reason
        self.status = status


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def forbidden(resource: str, namespace: str | None) -> ClusterError:
    where = f" in namespace {namespace}" if namespace else " (cluster-wide)"
    return ClusterError(f"forbidden: needs get/list/watch on {resource}{where}", reason="forbidden", status=403)


def from_status(status: int, resource: str, namespace: str | None, *, attempts: int = 1) -> ClusterError:
    """An HTTP error status that ends the read of `resource` (retries, if any, are spent)."""
    if status == 401:
        return ClusterError("unauthorized (token rejected)", reason="unauthorized", status=401)
    if status == 403:
        return forbidden(resource, namespace)
    if status == 404:
        return ClusterError(f"not found: {resource} (is the API served by this cluster?)",
                            reason="notfound", status=404)
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    if status == 429:
        return ClusterError(f"throttled (429 Too Many Requests) listing {resource}{tried}",
                            reason="throttled", status=429)
    if status >= 500:
        return ClusterError(f"server error {status} listing {resource}{tried}", reason="server", status=status)
    return ClusterError(f"unexpected HTTP status {status} listing {resource}", reason="http", status=status)


_SSL_REASON = re.compile(r"certificate verify failed: ([^()\]'\"]+)", re.IGNORECASE)


def from_transport(err: BaseException, host: str) -> ClusterError:
    """A failure below HTTP (TLS, DNS, TCP, timeout), named for what a person can check."""
    while isinstance(err, urllib3.exceptions.MaxRetryError) and err.reason is not None:
        err = err.reason
    text = str(err)
    if isinstance(err, ApiException):  # the client turns urllib3's SSLError into status 0
        text = str(err.reason or "")
    if _is_tls(err, text):
        m = _SSL_REASON.search(text)
        why = m.group(1).strip().rstrip(".") if m else "handshake failed"
        return ClusterError(f"TLS verification failed for {host}: {why}", reason="tls")
    if isinstance(err, (urllib3.exceptions.NameResolutionError, socket.gaierror)):
        return ClusterError(f"cannot resolve host of {host} (DNS)", reason="dns")
    if isinstance(err, (urllib3.exceptions.TimeoutError, TimeoutError, socket.timeout)) and \
            not isinstance(err, urllib3.exceptions.NewConnectionError):
        return ClusterError(f"timed out talking to {host}", reason="timeout")
    if "refused" in text.lower():
        return ClusterError(f"connection refused by {host}", reason="connection")
    if isinstance(err, urllib3.exceptions.NewConnectionError):
        if "Name or service not known" in text or "nodename nor servname" in text:
            return ClusterError(f"cannot resolve host of {host} (DNS)", reason="dns")
        return ClusterError(f"cannot connect to {host}", reason="connection")
    if isinstance(err, (urllib3.exceptions.ProtocolError, ConnectionError)):
        return ClusterError(f"connection to {host} dropped", reason="connection")
    return ClusterError(f"cannot talk to {host}: {type(err).__name__}", reason="connection")


def _is_tls(err: BaseException, text: str) -> bool:
    return isinstance(err, (urllib3.exceptions.SSLError, ssl.SSLError)) or text.startswith("SSLError") \
        or "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text


def is_transport(err: BaseException) -> bool:
    """True for failures below HTTP: the ones worth a retry or two before giving up."""
    if isinstance(err, ApiException):
        return err.status == 0
    return isinstance(err, (urllib3.exceptions.HTTPError, OSError))


def shown_url(url: str | None) -> str:
    """A server URL fit to show: a `user:password@` part and any query are replaced by `***`.

    The one redaction of server URLs: KubeClient.host (which every error message names) goes through it.
    """
    text = str(url or "")
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rsplit("@", 1)[1]
    path, q, _query = path.partition("?")
    shown = f"{scheme}{sep}{authority}{slash}{path}{'?***' if q else ''}"
    return one_line(shown, 200)
