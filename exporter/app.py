"""The running exporter: one state and watcher per cluster, the HTTP server, and an orderly stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Self

from exporter.config import ExporterConfig
from exporter.server import MetricsServer
from exporter.state import ClusterState
from exporter.watchers import ClusterWatcher
from sliceaudit.kube.clusters import ClusterAccess, connect
from sliceaudit.kube.watch import watch_kind

log = logging.getLogger(__name__)

STOP_GRACE = 5.0  # seconds a watch gets to notice `stop` before the process leaves without it


class Exporter:
    """Start with `start()` (or `with`), stop with `stop()`; `url` once started."""

    def __init__(self, config: ExporterConfig, clusters: Sequence[ClusterAccess], *,
                 connect: Callable = connect, watch: Callable = watch_kind):
        self.config = config
        self.stop_event = threading.Event()
        self.states = [ClusterState(a.name, max_series=config.max_series_per_cluster) for a in clusters]
        self.watchers = [ClusterWatcher(a, s, self.stop_event, connect=connect, watch=watch)
                         for a, s in zip(clusters, self.states)]
        self.server: MetricsServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None, "not started"
        return self.server.url

    def start(self) -> Self:
        # Bind first: a taken port is a usage error, before any cluster is contacted.
        self.server = MetricsServer((self.config.listen.host, self.config.listen.port), self.states)
        self.server.start()
        for w in self.watchers:
            w.start()
        log.info("serving %s/metrics for %d cluster(s): %s", self.url, len(self.states),
                 ", ".join(s.name for s in self.states) or "none")
        return self

    def stop(self) -> None:
        self.stop_event.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        for w in self.watchers:
            w.join(STOP_GRACE / max(1, len(self.watchers)))

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
