"""The rendered-bytes cache: each Service's values and label set, and the family blocks joined from them.

Scrapes reuse the joined blocks until some Service's numbers change or a Service comes or goes; a
Service whose re-audit gives the same numbers changes nothing. Nothing here locks: ClusterState
holds its lock around every call.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

from exporter.index import ServiceKey
from exporter.metrics.consumer import consumer_labels
from exporter.metrics.families import CONSUMER_FAMILIES, SERVICE_FAMILIES
from exporter.metrics.service import ServiceValues, family_blocks, service_labels
from sliceaudit.consumers.detect import Present

BLOCKS = len(SERVICE_FAMILIES) + len(CONSUMER_FAMILIES)


class ExpositionCache:
    def __init__(self, cluster: str, *, consumers: Sequence[Present] = (), max_series: int = 0):
        self._cluster = cluster
        self._consumer_labels = consumer_labels(consumers)
        self._per_service = len(SERVICE_FAMILIES) + len(CONSUMER_FAMILIES) * len(consumers)
        self._max_services = max(1, max_series // self._per_service) if max_series else 0
        # Per Service a mutable slot [values, label set]: updated in place, so the sorted list of slots
        # stays valid until a Service comes or goes, and a join walks it without a lookup.
        self._series: dict[ServiceKey, list] = {}
        self._order: list[tuple[ServiceKey, list]] | None = None  # sorted (key, slot); None once the set changes
        self._blocks: tuple[bytes, ...] | None = None    # one joined block per family; None once a line changes
        self._cut = 0                                    # series the cap leaves out of the current blocks
        self.cut_total = 0                               # series the cap left out, summed over scrapes

    def put(self, key: ServiceKey, values: ServiceValues) -> None:
        """Service `key` now has `values`; its lines change only when they differ from the held ones."""
        slot = self._series.get(key)
        if slot is not None and slot[0] == values:
            return
        if slot is None:
            self._series[key] = [values, service_labels(self._cluster, key[0], key[1])]
            self._order = None
        else:
            slot[0] = values
        self._blocks = None

    def drop(self, key: ServiceKey) -> None:
        """Service `key` is gone: its series leave the next join."""
        if self._series.pop(key, None) is not None:
            self._order = self._blocks = None

    def blocks(self) -> tuple[bytes, ...]:
        """Per family, every held Service's sample lines, for one scrape: counts what the cap leaves out."""
        if self._blocks is None:
            self._blocks = self._join()
        self.cut_total += self._cut
        return self._blocks

    def values(self) -> dict[ServiceKey, ServiceValues]:
        return {k: slot[0] for k, slot in self._series.items()}

    def _join(self) -> tuple[bytes, ...]:
        if self._order is None:
            self._order = sorted(self._series.items())
        order = self._order
        cap = self._max_services
        self._cut = 0
        if cap and len(order) > cap:
            # Unhealthy Services first, then by name: the cap never hides an outage for a healthy one.
            kept = {k for k, _ in heapq.nsmallest(cap, order, key=lambda item: (-item[1][0].rank, item[0]))}
            self._cut = (len(order) - cap) * self._per_service
            order = [item for item in order if item[0] in kept]
        return family_blocks((slot for _, slot in order), self._consumer_labels)
