"""Port resolution per Service port, the way a correct consumer (kube-proxy) does it.

For each Service port and each endpoint address, the best thing any of the Service's slices
says about that address wins: a usable number, else a number-less entry, else port 0, else
`ports: null`, else "this slice has ports, but not this one".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from sliceaudit.core.records import EndpointSlice, ServicePort


class State(IntEnum):
    """What a slice makes of an endpoint for one Service port; lower is better."""

    BACKEND = 0
    UNSET = 1     # matching entry without a number
    ZERO = 2      # matching entry with port 0
    NULL = 3      # slice ports null, absent or empty
    MISSING = 4   # slice has ports, none matching this Service port


@dataclass(frozen=True)
class Verdict:
    state: State
    number: int        # the port number for BACKEND, else 0
    slice: str         # the slice that decided it


@dataclass(frozen=True)
class PortResolution:
    port: ServicePort
    verdicts: dict[str, Verdict]   # serving address -> verdict

    def backends(self) -> list[str]:
        """`ip:port` strings, IPv6 in brackets, sorted."""
        out = []
        for address, v in self.verdicts.items():
            if v.state is State.BACKEND:
                out.append(f"[{address}]:{v.number}" if ":" in address else f"{address}:{v.number}")
        out.sort()
        return out


def serving_addresses(slices: Sequence[EndpointSlice]) -> set[str]:
    """Distinct first addresses that are ready and that no slice marks terminating."""
    ready: set[str] = set()
    terminating: set[str] = set()
    for s in slices:
        for e in s.endpoints or ():
            address = e.address
            if address is None:
                continue
            if e.terminating:
                terminating.add(address)
            elif e.ready:
                ready.add(address)
    return ready - terminating


def slice_verdict(s: EndpointSlice, key: tuple[str, str]) -> tuple[State, int]:
    if not s.has_ports:
        return State.NULL, 0
    for p in s.ports:
        if p.key == key:
            if p.port is None:
                return State.UNSET, 0
            if p.port == 0:
                return State.ZERO, 0
            return State.BACKEND, p.port
    return State.MISSING, 0


def resolve_port(port: ServicePort, slices: Sequence[EndpointSlice], serving: set[str]) -> PortResolution:
    key = port.key
    verdicts: dict[str, Verdict] = {}
    for s in slices:
        if not s.endpoints:
            continue  # placeholder slices carry nothing to judge
        state, number = slice_verdict(s, key)
        verdict = Verdict(state, number, s.metadata.name)
        for e in s.endpoints:
            address = e.address
            if address not in serving:
                continue
            current = verdicts.get(address)
            if current is None or state < current.state:
                verdicts[address] = verdict
    return PortResolution(port, verdicts)
