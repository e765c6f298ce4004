"""The exporter's settings, read once from the command line (or its environment variables) and frozen."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sliceaudit.consumers.detect import Present, parse_consumer

DEFAULT_LISTEN = "127.0.0.1:9808"
DEFAULT_MAX_SERIES = 200_000  # 50,000 Services per cluster at 4 series each
DEFAULT_MAX_CONNECTIONS = 64  # scrapers (an HA pair), probes and people; each open connection holds a thread
DEFAULT_RELOAD_INTERVAL = 10.0  # seconds between looks at the kubeconfig: a mounted Secret updates within a minute
DEFAULT_LIST_TIMEOUT = 300.0  # seconds for one full list of a resource, every page included (20k slices: ~10 s)


@dataclass(frozen=True)
class Listen:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class ExporterConfig:
    kubeconfig: str | None = None
    contexts: tuple[str, ...] = ()
    all_contexts: bool = False
    in_cluster: bool = False
    cluster_name: str = "in-cluster"
    eks: tuple[str, ...] = ()             # "region/name"
    eks_role_arn: str | None = None
    listen: Listen = Listen("127.0.0.1", 9808)
    shard: int = 0
    total_shards: int = 1
    max_series_per_cluster: int = DEFAULT_MAX_SERIES
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    reload_interval: float = DEFAULT_RELOAD_INTERVAL   # 0: the kubeconfig is read once
    list_timeout: float = DEFAULT_LIST_TIMEOUT
    log_level: str = "info"
    consumers: tuple[Present, ...] = ()   # --consumer: proxies in use, a broken-backends gauge each

    def __post_init__(self) -> None:
        if self.total_shards < 1:
            raise ValueError("--total-shards must be 1 or more")
        if not 0 <= self.shard < self.total_shards:
            raise ValueError(f"--shard must be between 0 and {self.total_shards - 1} (--total-shards "
                             f"{self.total_shards})")
        if self.max_series_per_cluster < 0 or 0 < self.max_series_per_cluster < 4:
            raise ValueError("--max-series-per-cluster must be 0 (no cap) or at least 4 (one Service)")
        if self.max_connections < 1:
            raise ValueError("--max-connections must be 1 or more")
        if not self.reload_interval >= 0:
            raise ValueError("--reload-interval must be 0 (never) or a number of seconds")
        if not 0 < self.list_timeout < float("inf"):
            raise ValueError("--list-timeout must be a positive number of seconds")
        if self.in_cluster and (self.contexts or self.all_contexts):
            raise ValueError("--in-cluster cannot be combined with --context or --all-contexts")
        if self.contexts and self.all_contexts:
            raise ValueError("--context and --all-contexts exclude each other")
        for spec in self.eks:
            region, _, name = spec.partition("/")
            if not region or not name:
                raise ValueError(f"--eks {spec!r}: expected REGION/CLUSTER, e.g. eu-west-1/prod")

    @property
    def uses_kubeconfig(self) -> bool:
        """A kubeconfig is read when asked for, or when no other source is."""
        return bool(self.kubeconfig or self.contexts or self.all_contexts) or not (self.in_cluster or self.eks)

    def owns(self, cluster: str) -> bool:
        """Whether this replica's shard watches `cluster`: a stable hash, the same in every replica."""
        if self.total_shards == 1:
            return True
        digest = hashlib.sha256(cluster.encode()).digest()
        return int.from_bytes(digest[:8], "big") % self.total_shards == self.shard


def parse_consumers(values: tuple[str, ...]) -> tuple[Present, ...]:
    """--consumer values (as `sliceaudit scan` reads them), each consumer and version once."""
    out: dict[tuple[str, str], Present] = {}
    for text in values:
        present = parse_consumer(text)  # ConsumerFlagError is a ValueError: one line, exit 2
        out.setdefault((present.consumer.name, str(present.version)), present)
    return tuple(out.values())


def parse_listen(text: str) -> Listen:
    """`host:port`, `[v6]:port` or `:port` (every interface)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--listen {text!r}: expected HOST:PORT, e.g. {DEFAULT_LISTEN}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"--listen {text!r}: write IPv6 addresses in brackets, e.g. [::1]:9808")
    return Listen(host or "0.0.0.0", int(port))
