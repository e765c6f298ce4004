"""What a consumer makes of one Service: the backends it routes each port to, and effects beyond routing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sliceaudit.api.records import EndpointSlice, Service
from sliceaudit.consumers.versions import Version, VersionRange


class EffectKind(StrEnum):
    """An effect beyond "which ip:port it dials"."""

    PANIC = "panic"                        # the controller crashes (or its update loop aborts)
    CONFIG_REJECTED = "config_rejected"    # the whole configuration update is not published
    UNIX_SOCKET = "unix_socket"            # an endpoint is sent to the data plane as a unix-socket path
    ENDPOINT_DROPPED = "endpoint_dropped"  # a ready endpoint is left out for a reason kube-proxy ignores
    MIS_MAPPED_PORT = "mis_mapped_port"    # endpoints dialled at a number another slice publishes


# Effects that reach beyond the Service: every route the consumer serves stops updating.
CLUSTER_WIDE = frozenset({EffectKind.PANIC, EffectKind.CONFIG_REJECTED})


@dataclass(frozen=True)
class Effect:
    kind: EffectKind
    port: str | None   # the Service port's name ("" when unnamed); None for the whole Service
    detail: str


@dataclass(frozen=True)
class PortRoutes:
    """One Service port as a consumer programs it."""

    name: str
    port: int
    protocol: str
    backends: tuple[str, ...]   # distinct `ip:port`, IPv6 as `[ip]:port`, sorted; `ip:0` included


@dataclass(frozen=True)
class Outcome:
    ports: tuple[PortRoutes, ...]
    effects: tuple[Effect, ...] = ()
    reads_slices: bool = True   # False: this consumer does not read this Service's slices at all

    @property
    def cluster_wide(self) -> tuple[Effect, ...]:
        return tuple(e for e in self.effects if e.kind in CLUSTER_WIDE)


Model = Callable[[Service, Sequence[EndpointSlice]], Outcome]


@dataclass(frozen=True)
class Behaviour:
    """One consumer's reading of slices, over the versions it holds for."""

    label: str                          # how the docs and reports name these versions, e.g. ">= v0.21.150"
    ranges: tuple[VersionRange, ...]    # versions it holds for (any of them)
    model: Model
    source: str                         # file, function and version of the consumer's code it follows

    def holds_for(self, version: Version | None) -> bool:
        return version is None or any(r.overlaps(version) for r in self.ranges)


@dataclass(frozen=True)
class Consumer:
    name: str                       # the `--consumer NAME` and report key, e.g. "skipper"
    title: str                      # for people, e.g. "Skipper"
    images: tuple[str, ...]         # image repositories (last path segments) it ships as
    behaviours: tuple[Behaviour, ...]
    note: str = ""                  # what the models assume (flags, modes)

    def behaviours_for(self, version: Version | None) -> tuple[Behaviour, ...]:
        """The behaviours possible at `version` (all of them when it is unknown)."""
        return tuple(b for b in self.behaviours if b.holds_for(version))
