"""Where clusters come from (kubeconfig, in-cluster service account, EKS) and how to connect to one.

Every cluster gets its own `kubernetes.client.Configuration` and `ApiClient`; the process-wide
default configuration is never read or written, so clusters can be scanned side by side.
TLS is always verified: a kubeconfig's `insecure-skip-tls-verify` is ignored.

A kubeconfig *file* is the user's own: its files are read and its exec plugin is run (bounded by
the deadline). Kubeconfig *content* (the Lambda's, from a secret) must be self-contained: no file,
no command, no auth provider; its `aws eks get-token` entry is served by the in-process EKS token.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import urllib3
from kubernetes.client import ApiClient, Configuration
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.kube_config import load_kube_config_from_dict

from sliceaudit.kube import kubeconfig as kc
from sliceaudit.kube.client import KubeClient
from sliceaudit.kube.errors import ClusterError, one_line, shown_url

SOURCES = ("kubeconfig", "incluster", "eks")
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


@dataclass(frozen=True, repr=False)
class ClusterAccess:
    """How to reach one cluster, built from what the process trusts (never from a message)."""

    name: str
    source: str
    # kubeconfig: a file path, or the parsed content (e.g. read from Secrets Manager), and a context
    kubeconfig_path: str | None = None
    kubeconfig: Mapping[str, Any] | None = field(default=None, repr=False)
    context: str | None = None
    # incluster (and eks when known): API server URL, CA file, token file
    server: str | None = None
    ca_file: str | None = None
    token_file: str | None = None
    # eks: cluster name (defaults to `name`), region, role to assume, base64 CA as EKS returns it
    cluster: str | None = None
    region: str | None = None
    role_arn: str | None = None
    ca_data: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("cluster access needs a name")
        if self.source not in SOURCES:
            raise ValueError(f"cluster {self.name}: source must be one of {', '.join(SOURCES)}, "
                             f"not {self.source!r}")
        if self.source == "kubeconfig" and not (self.kubeconfig_path or self.kubeconfig):
            raise ValueError(f"cluster {self.name}: kubeconfig source needs a path or content")
        if self.source == "incluster" and not (self.server and self.token_file and self.ca_file):
            raise ValueError(f"cluster {self.name}: incluster source needs server, token_file, ca_file")
        if self.source == "eks" and not self.region:
            raise ValueError(f"cluster {self.name}: eks source needs a region")

    def __repr__(self) -> str:
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.repr and getattr(self, f.name) is not None}
        if "server" in shown:
            shown["server"] = shown_url(shown["server"])
        return f"ClusterAccess({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    @property
    def eks_name(self) -> str:
        return self.cluster or self.name


# --- constructors ----------------------------------------------------------------------------


def kubeconfig_clusters(path: str | os.PathLike | Mapping[str, Any] | None = None,
                        contexts: Iterable[str] = (), all_contexts: bool = False, *,
                        environ: Mapping[str, str] = os.environ) -> list[ClusterAccess]:
    """One access per selected context: `contexts`, every context, or else the current one.

    `path` is a file (or `:`-separated files, like $KUBECONFIG), or the parsed content as a dict;
    None means $KUBECONFIG or ~/.kube/config. Raises ClusterError for an unusable file or context.
    """
    if isinstance(path, Mapping):
        content, source = path, {"kubeconfig": dict(path)}
        names, current = kc.context_names(content, "kubeconfig content")
    else:
        path = str(path or environ.get("KUBECONFIG") or "~/.kube/config")
        names, current = kc.context_names(kc.read_files(path), f"kubeconfig {path}")
        source = {"kubeconfig_path": path}
    wanted = list(dict.fromkeys(contexts))
    if wanted:
        missing = [c for c in wanted if c not in names]
        if missing:
            have = ", ".join(names) or "none"
            raise ClusterError(f"kubeconfig has no context {', '.join(map(repr, missing))} (has: {have})",
                               reason="config")
    elif all_contexts:
        wanted = names
        if not wanted:
            raise ClusterError("kubeconfig has no contexts", reason="config")
    else:
        if not current:
            raise ClusterError("kubeconfig has no current-context: name one with --context or use "
                               "--all-contexts", reason="config")
        if current not in names:
            raise ClusterError(f"kubeconfig current-context {current!r} is not defined", reason="config")
        wanted = [current]
    return [ClusterAccess(name=c, source="kubeconfig", context=c, **source) for c in wanted]


def in_cluster(name: str = "in-cluster", *, environ: Mapping[str, str] = os.environ,
               account_dir: str = SERVICE_ACCOUNT_DIR) -> ClusterAccess:
    """The cluster this process runs in, through its pod's service account."""
    host, port = environ.get("KUBERNETES_SERVICE_HOST"), environ.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        raise ClusterError("not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset)", reason="config")
    if ":" in host:
        host = f"[{host}]"
    return ClusterAccess(name=name, source="incluster", server=f"https://{host}:{port}",
                         token_file=os.path.join(account_dir, "token"),
                         ca_file=os.path.join(account_dir, "ca.crt"))


def eks_cluster(name: str, region: str, role_arn: str | None = None, *, endpoint: str | None = None,
                ca_data: str | None = None, display_name: str | None = None) -> ClusterAccess:
    """An EKS cluster; endpoint and CA come from `eks:DescribeCluster` unless given."""
    return ClusterAccess(name=display_name or name, source="eks", cluster=name if display_name else None,
                         region=region, role_arn=role_arn, server=endpoint, ca_data=ca_data)


# --- connect ---------------------------------------------------------------------------------


def connect(access: ClusterAccess, *, deadline: float | None = None) -> KubeClient:
    """A client for one cluster; raises ClusterError (one line) when its credentials cannot be set up.

    `deadline` (a time.monotonic() value) bounds an exec credential plugin, now and when it is run
    again for a fresh credential; None gives each run exec_plugin.DEFAULT_SECONDS.
    """
    cfg = Configuration()
    if access.source == "kubeconfig":
        _from_kubeconfig(cfg, access, deadline)
    elif access.source == "incluster":
        cfg.host = access.server
        cfg.ssl_ca_cert = access.ca_file
        _bearer(cfg, _TokenFile(access.token_file).read)
    else:
        _from_eks(cfg, access)
    cfg.verify_ssl = True  # never trust an unverified server, whatever the kubeconfig says
    cfg.retries = _RESEND
    return KubeClient(access.name, ApiClient(configuration=cfg), shown_url(cfg.host))


class _Resend(urllib3.Retry):
    """Lets urllib3 re-send a GET once when a kept-alive connection from its pool turns out closed by
    the server (a read error before any response). Every other retry (429, 5xx, refused, timeouts)
    is ours, in pages.py and watch.py, which honour Retry-After and the deadline."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if isinstance(error, urllib3.exceptions.TimeoutError):
            raise urllib3.exceptions.MaxRetryError(_pool, url, error)
        return super().increment(method, url, response, error, _pool, _stacktrace)


_RESEND = _Resend(total=1, connect=0, read=1, status=0, other=0, redirect=0, raise_on_redirect=False,
                  raise_on_status=False, respect_retry_after_header=False)


def _from_kubeconfig(cfg: Configuration, access: ClusterAccess, deadline: float | None) -> None:
    where = f"kubeconfig context {access.context or '(current)'}"
    if access.kubeconfig is not None:
        picked = kc.pick(_plain(access.kubeconfig), access.context, where)
        eks = kc.self_contained_credential(picked, where)
    else:
        picked = kc.pick(kc.read_files(access.kubeconfig_path), access.context, where)
        kc.check_user_auth(picked, where)
        eks = None
    try:
        load_kube_config_from_dict(picked.without_exec(), context=picked.context, client_configuration=cfg,
                                   persist_config=False)
    except ConfigException as err:
        raise ClusterError(f"{where}: {one_line(err)}", reason="config") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, binascii.Error) as err:
        raise ClusterError(f"{where}: unusable ({type(err).__name__})", reason="config") from None
    if not str(cfg.host).startswith("https://"):
        raise ClusterError(f"{where}: server must be an https:// URL", reason="config")
    if eks is not None:
        from sliceaudit.kube import eks_token  # botocore loads only for EKS clusters

        region = eks.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not region:
            raise ClusterError(f"{where}: aws eks get-token has no --region and AWS_REGION is unset",
                               reason="config")
        _bearer(cfg, eks_token.EksTokenSource(eks.cluster, region, eks.role_arn).token)
    elif "exec" in picked.user:
        from sliceaudit.kube.exec_plugin import PluginTokens

        plugin = PluginTokens(picked.user["exec"], deadline=deadline, cluster=picked.cluster)
        first = plugin.credential()
        if first.token is not None:
            _bearer(cfg, plugin.token)
        else:
            cfg.cert_file, cfg.key_file = _pem_files(first.client_certificate, first.client_key)


def _pem_files(cert: str, key: str) -> tuple[str, str]:
    """A client certificate and key an exec plugin answered, as private files for the TLS layer."""
    folder = tempfile.mkdtemp(prefix="sliceaudit-exec-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    paths = []
    for name, text in (("client.crt", cert), ("client.key", key)):
        path = os.path.join(folder, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        paths.append(path)
    return paths[0], paths[1]


def _from_eks(cfg: Configuration, access: ClusterAccess) -> None:
    from sliceaudit.kube import eks_token  # botocore loads only for EKS clusters

    source = eks_token.EksTokenSource(access.eks_name, access.region, access.role_arn)
    endpoint, ca_b64 = access.server, access.ca_data
    if not endpoint or not ca_b64:
        endpoint, ca_b64 = source.describe_cluster()
    try:
        ca_pem = base64.b64decode(ca_b64, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ClusterError(f"EKS cluster {access.eks_name}: certificate authority is not base64 PEM",
                           reason="config") from None
    cfg.host = endpoint.rstrip("/")
    cfg.ca_cert_data = ca_pem
    _bearer(cfg, source.token)


def _bearer(cfg: Configuration, token: Callable[[], str]) -> None:
    """Sends `Authorization: Bearer <token>`, asking `token()` again before every request."""
    cfg.api_key_prefix["BearerToken"] = "Bearer"

    def refresh(c: Configuration) -> None:
        c.api_key["BearerToken"] = token()

    cfg.refresh_api_key_hook = refresh
    refresh(cfg)


class _TokenFile:
    """A projected service-account token: re-read whenever the kubelet rotates the file."""

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._token = ""

    def read(self) -> str:
        try:
            st = os.stat(self.path)
            with self._lock:
                if (st.st_mtime_ns, st.st_size) != self._stamp:
                    self._token = Path(self.path).read_text().strip()
                    self._stamp = (st.st_mtime_ns, st.st_size)
                return self._token
        except OSError as err:
            raise ClusterError(f"service account token {self.path}: {err.strerror}", reason="config") from None


def _plain(value: Any) -> Any:
    """A deep plain copy: the loader keeps references and may mutate what it is given."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
