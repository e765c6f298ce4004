"""Which clusters this replica watches: from the flags at start, and again whenever the kubeconfig changes.

Change is told by a fingerprint per context: its context, cluster and user entries (the first
file of a `:`-separated list that defines a name wins, as kubectl merges) and the size and
modification time of the files they name (certificates, keys, token files). A new token, a
rotated certificate or a new server address changes the context's fingerprint, and its watcher
is restarted on the same held state; a context added or removed changes the set of clusters.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Mapping
from typing import Any

import yaml

from exporter.config import ExporterConfig
from sliceaudit.kube.clusters import ClusterAccess, eks_cluster, in_cluster, kubeconfig_clusters
from sliceaudit.kube.errors import ClusterError

log = logging.getLogger(__name__)

MAX_KUBECONFIG_BYTES = 4 << 20          # a kubeconfig of a few hundred clusters is well under 1 MB
MAX_NODES = 100_000                     # YAML values hashed per context: far above any real entry
MAX_DEPTH = 64
PATH_KEYS = ("certificate-authority", "client-certificate", "client-key", "tokenFile")
SECTIONS = {"contexts": "context", "clusters": "cluster", "users": "user"}


def kubeconfig_path(config: ExporterConfig, environ: Mapping[str, str] = os.environ) -> str:
    return str(config.kubeconfig or environ.get("KUBECONFIG") or "~/.kube/config")


class ClusterSource:
    """Selects the clusters the flags name (then those this shard owns), and tells when the kubeconfig changed."""

    def __init__(self, config: ExporterConfig, environ: Mapping[str, str] = os.environ):
        self.config = config
        self.path = kubeconfig_path(config, environ) if config.uses_kubeconfig else None
        self._environ = environ
        self._seen: dict[str, str] | None = None

    @property
    def reloads(self) -> bool:
        return self.path is not None and self.config.reload_interval > 0

    def fingerprint(self, access: ClusterAccess) -> str | None:
        """The fingerprint its context had at the last `select()` (None: not from the kubeconfig file)."""
        if access.source != "kubeconfig" or self._seen is None:
            return None
        return self._seen.get(access.context or "")

    def changed(self) -> bool:
        return self.path is not None and fingerprints(self.path) != self._seen

    def select(self, *, starting: bool = True) -> list[ClusterAccess]:
        """Every cluster the flags name; raises ClusterError (one line) for an unusable source.

        At start a `--context` that the kubeconfig lacks is an error; later (`starting=False`) it
        is left out with a warning, and comes back when the kubeconfig names it again.
        """
        if self.path is not None:
            self._seen = fingerprints(self.path)  # first: a change while selecting is seen at the next look
        found: list[ClusterAccess] = []
        if self.path is not None:
            found += self._from_kubeconfig(starting)
        if self.config.in_cluster:
            found.append(in_cluster(self.config.cluster_name, environ=self._environ))
        for spec in self.config.eks:
            region, _, name = spec.partition("/")
            found.append(eks_cluster(name, region, self.config.eks_role_arn))
        seen: set[str] = set()
        for access in found:
            if access.name in seen:
                raise ClusterError(f"cluster {access.name!r} is named twice; the cluster label must be unique",
                                   reason="config")
            seen.add(access.name)
        return [a for a in found if self.config.owns(a.name)]

    def _from_kubeconfig(self, starting: bool) -> list[ClusterAccess]:
        config, path = self.config, self.path
        if starting or not config.contexts:
            return kubeconfig_clusters(path, config.contexts, config.all_contexts, environ=self._environ)
        have = {a.context for a in kubeconfig_clusters(path, (), True, environ=self._environ)}
        missing = [c for c in config.contexts if c not in have]
        if missing:
            log.warning("kubeconfig %s no longer has context %s: not watched until it is back", path,
                        ", ".join(map(repr, missing)))
        wanted = [c for c in config.contexts if c in have]
        return kubeconfig_clusters(path, wanted, environ=self._environ) if wanted else []


def fingerprints(path: str) -> dict[str, str]:
    """Per context name, a digest of everything reaching its cluster depends on (see the module doc)."""
    named: dict[str, dict[str, tuple[Any, str]]] = {s: {} for s in SECTIONS}
    for file in (os.path.expanduser(p) for p in path.split(os.pathsep) if p):
        doc = _load(file)
        if not isinstance(doc, dict):
            continue
        for section in SECTIONS:
            entries = doc.get(section)
            for entry in entries if isinstance(entries, list) else ():
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    named[section].setdefault(entry["name"], (entry, os.path.dirname(file)))
    result = {}
    for name, (entry, _) in named["contexts"].items():
        body = entry.get("context") if isinstance(entry.get("context"), dict) else {}
        parts: list[Any] = [entry]
        for section, key in (("clusters", "cluster"), ("users", "user")):
            ref = body.get(key)
            held = named[section].get(ref) if isinstance(ref, str) else None
            parts.append(held[0] if held else None)
            if held:
                parts.append(_file_stamps(held[0].get(SECTIONS[section]), held[1]))
        digest = hashlib.sha256()
        try:
            _feed(digest, parts, [MAX_NODES])
        except _TooBig:  # YAML aliases can make a small file a huge (or endless) tree: its bytes will do
            digest.update(b"too big: " + _files_digest(path))
        result[name] = digest.hexdigest()
    return result


class _TooBig(Exception):
    pass


def _feed(digest, value: Any, budget: list[int], depth: int = 0) -> None:
    """A canonical encoding of plain YAML values into `digest`, visiting at most `budget` nodes."""
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise _TooBig
    if isinstance(value, dict):
        digest.update(b"{")
        for key in sorted(value, key=repr):
            digest.update(repr(key).encode() + b":")
            _feed(digest, value[key], budget, depth + 1)
        digest.update(b"}")
    elif isinstance(value, (list, tuple)):
        digest.update(b"[")
        for item in value:
            _feed(digest, item, budget, depth + 1)
        digest.update(b"]")
    else:
        digest.update(repr(value).encode() + b",")


def _files_digest(path: str) -> bytes:
    digest = hashlib.sha256()
    for file in (os.path.expanduser(p) for p in path.split(os.pathsep) if p):
        with contextlib.suppress(OSError), open(file, "rb") as f:
            digest.update(f.read(MAX_KUBECONFIG_BYTES))
    return digest.digest()


def _load(file: str) -> Any:
    try:
        with open(file, "rb") as f:
            data = f.read(MAX_KUBECONFIG_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_KUBECONFIG_BYTES:
        return {"unparsed": hashlib.sha256(data).hexdigest()}
    try:
        return yaml.safe_load(data)
    except (yaml.YAMLError, RecursionError, ValueError):
        return {"unparsed": hashlib.sha256(data).hexdigest()}


def _file_stamps(body: Any, base: str) -> list:
    """(key, size, mtime) of the files a cluster or user entry names: rotating one changes the fingerprint."""
    stamps = []
    for key in PATH_KEYS:
        value = body.get(key) if isinstance(body, dict) else None
        if not isinstance(value, str) or not value:
            continue
        try:
            st = os.stat(os.path.join(base, os.path.expanduser(value)))
            stamps.append((key, st.st_size, st.st_mtime_ns))
        except OSError:
            stamps.append((key, None, None))
    return stamps
