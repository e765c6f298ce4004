"""A running simulated fleet: one API server per cluster, a kubeconfig for them, the ground truth."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

import yaml

from sliceaudit.audit.terms import SCHEMA, STATUSES
from sliceaudit.sim.apiserver.server import ApiServer
from sliceaudit.sim.clusterserver import ClusterServer
from sliceaudit.sim.world.fleet import generate_cluster


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def kubeconfig_for(servers: Mapping[str, ApiServer]) -> dict:
    """A kubeconfig with one context per server (context, cluster and user share its name)."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": n, "cluster": {"server": s.url, "certificate-authority-data": s.ca_data}}
                     for n, s in servers.items()],
        "users": [{"name": n, "user": {"token": s.token}} for n, s in servers.items()],
        "contexts": [{"name": n, "context": {"cluster": n, "user": n}} for n in servers],
        "current-context": next(iter(servers), ""),
    }


class SimulatedFleet:
    """`clusters` generated clusters served over HTTPS on 127.0.0.1; use as a context manager."""

    def __init__(self, clusters: int = 3, services: int = 50, seed: int = 1, broken_share: float = 0.2,
                 churn: bool = False, *, churn_interval: float = 2.0, names: list[str] | None = None,
                 bookmark_interval: float = 5.0, eks_secrets: dict | None = None):
        if clusters < 1:
            raise ValueError("clusters must be >= 1")
        self.names = list(names) if names else [f"sim-{i + 1}" for i in range(clusters)]
        if len(set(self.names)) != len(self.names):
            raise ValueError("cluster names must be unique")
        self.services = services
        self.seed = seed
        self.broken_share = broken_share
        self.churn = churn
        self.churn_interval = churn_interval
        self.bookmark_interval = bookmark_interval
        self.eks_secrets = eks_secrets
        self.servers: dict[str, ClusterServer] = {}
        self._truth_path: Path | None = None
        self._truth_lock = threading.Lock()
        self._truths: dict[str, dict] = {}

    def start(self) -> SimulatedFleet:
        try:
            for i, name in enumerate(self.names):
                cluster = generate_cluster(name, self.services, self.seed, self.broken_share, index=i)
                server = ClusterServer(cluster, bookmark_interval=self.bookmark_interval, eks_secrets=self.eks_secrets)
                self.servers[name] = server.start()
                server.on_change(self._write_truth)
            if self.churn:
                for i, server in enumerate(self.servers.values()):
                    server.start_churn(self.churn_interval, seed=self.seed * 1000 + i)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        for server in self.servers.values():
            server.close()

    def __enter__(self) -> SimulatedFleet:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def kubeconfig(self) -> dict:
        """A kubeconfig with one context per cluster (context, cluster and user share its name)."""
        return kubeconfig_for(self.servers)

    def write_kubeconfig(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        _atomic_write(path, yaml.safe_dump(self.kubeconfig(), sort_keys=False))
        return path

    def truth(self) -> dict:
        """The report (BRIEF schema, as a dict) a correct scan of every cluster gives right now."""
        return {"schema": SCHEMA, "clusters": [s.truth() for s in self.servers.values()], "errors": []}

    def _cached_truth(self) -> dict:
        clusters = []
        for name, server in self.servers.items():
            if name not in self._truths:
                self._truths[name] = server.truth()
            clusters.append(self._truths[name])
        return {"schema": SCHEMA, "clusters": clusters, "errors": []}

    def write_truth(self, path: str | os.PathLike) -> Path:
        """Writes the truth now, and again after every change while churn runs."""
        self._truth_path = Path(path)
        self._write_truth()
        return self._truth_path

    def _write_truth(self, changed: ClusterServer | None = None) -> None:
        with self._truth_lock:
            if self._truth_path is None:
                return  # nobody asked for the file: no truth to compute on every change
            if changed is not None:
                self._truths[changed.name] = changed.truth()
            else:
                self._truths.clear()
            _atomic_write(self._truth_path, json.dumps(self._cached_truth(), indent=1) + "\n")

    def summary(self) -> list[tuple[str, str, dict[str, int]]]:
        """(context, server URL, Services per status) per cluster."""
        out = []
        for name, server in self.servers.items():
            counts = {status.value: 0 for status in STATUSES}
            for s in server.truth()["services"]:
                counts[s["status"]] += 1
            out.append((name, server.url, counts))
        return out
