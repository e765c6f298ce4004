"""kube-proxy, the reference: backends per Service port, the way kube-proxy programs them.

kube-proxy reads a Service's IPv4 and IPv6 slices, never FQDN ones (pkg/proxy/
endpointschangetracker.go, EndpointSliceUpdate). Per Service port (name, protocol) it collects
the endpoints of every slice that lists that port with a number 1..65535, keyed by `ip:port`, a
non-terminating copy replacing a terminating one (pkg/proxy/endpointslicecache.go,
endpointInfoByServicePort and addEndpoints). Traffic goes to the ready candidates, else to the
serving and terminating ones (pkg/proxy/topology.go, CategorizeEndpoints).

An endpoint (a first address some slice lists as ready) that is a backend of a port is fine on
it whatever another slice says; otherwise the best thing a slice says of it for that port is its
fault there: a number-less entry, else port 0, else `ports: null`, else "not this port".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

from sliceaudit.api.records import Endpoint, EndpointSlice, Service, ServicePort
from sliceaudit.consumers.model import Behaviour, Consumer, Outcome
from sliceaudit.consumers.reading import routes
from sliceaudit.consumers.versions import VersionRange, v


class State(IntEnum):
    """What a slice makes of its ready endpoints for one Service port; lower is better."""

    BACKEND = 0
    UNSET = 1     # matching entry without a number
    ZERO = 2      # matching entry with port 0
    NULL = 3      # slice ports null, absent or empty
    MISSING = 4   # slice has ports, none matching this Service port


# A candidate's copy rank, lower wins: not terminating first (addEndpoints keeps the
# non-terminating copy), then ready, then serving. kube-proxy leaves the choice between two
# copies of equal terminating state to map order; this order makes the audit the same in any
# slice order.
_TERMINATING, _NOT_READY, _NOT_SERVING = 4, 2, 1


def _is_fallback(rank: int) -> bool:
    """Serving and terminating: CategorizeEndpoints' graceful-termination fallback."""
    return bool(rank & _TERMINATING) and not rank & _NOT_SERVING


def backend_label(address: str, number: int) -> str:
    """`ip:port`, IPv6 in brackets."""
    return f"[{address}]:{number}" if ":" in address else f"{address}:{number}"


@dataclass(frozen=True)
class PortResolution:
    port: ServicePort
    backends: dict[int, list[str]]         # target number -> backend addresses
    terminating_only: bool                 # backends are kube-proxy's serving+terminating fallback
    faults: dict[State, dict[str, str]]    # best state -> endpoint that is no backend -> slice saying it
    unserved: int                          # endpoints that are no backend of this port (faults included)

    def backend_labels(self) -> list[str]:
        out: list[str] = []
        for number, addresses in self.backends.items():
            suffix = f":{number}"
            out.extend([f"[{a}]{suffix}" if ":" in a else a + suffix for a in addresses])
        out.sort()
        return out

    def fault_addresses(self) -> set[str]:
        return set().union(*self.faults.values())

    def served(self) -> set[str]:
        """Addresses that are a backend of this port at some number."""
        return set().union(*self.backends.values())


@dataclass(frozen=True)
class Resolution:
    endpoints: set[str]                 # first addresses some read slice lists as ready
    ports: list[PortResolution]         # in Service port order
    slices: list[EndpointSlice]         # the slices kube-proxy reads, in name order
    fqdn: list[EndpointSlice]           # FQDN slices: kube-proxy never reads them

    def endpoint_records(self) -> dict[str, Endpoint]:
        """Each endpoint's first ready record (slices in name order): its targetRef names the pod."""
        out: dict[str, Endpoint] = {}
        for s in self.slices:
            for e in s.endpoints or ():
                if e.addresses and e.ready:
                    out.setdefault(e.addresses[0], e)
        return out


def verdicts(s: EndpointSlice, index: dict[tuple[str, str], int], n: int) -> tuple[list[State], list[int]]:
    """Per Service port, the slice's state and number (the first entry of a name and protocol counts)."""
    if not s.has_ports:
        return [State.NULL] * n, [0] * n
    states, numbers = [State.MISSING] * n, [0] * n
    for p in s.ports:
        i = index.get(p.key)
        if i is None or states[i] is not State.MISSING:
            continue
        if p.port is None:
            states[i] = State.UNSET
        elif p.port == 0:
            states[i] = State.ZERO
        else:
            states[i], numbers[i] = State.BACKEND, p.port
    return states, numbers


def port_index(ports: Sequence[ServicePort]) -> dict[tuple[str, str], int]:
    index: dict[tuple[str, str], int] = {}
    for i, p in enumerate(ports):
        index.setdefault(p.key, i)
    return index


def _name(s: EndpointSlice) -> str:
    return s.metadata.name


class _Read(NamedTuple):
    """One slice, gathered once for all Service ports."""

    name: str
    best: dict[str, int]          # address -> best copy rank in this slice
    said: dict[str, str] | None   # ready address -> this slice's name (None: no ready endpoint)
    fresh: bool                   # no earlier slice listed any of its addresses
    states: list[State]
    numbers: list[int]


class _Column(NamedTuple):
    """A port's result with its target numbers replaced by their order of appearance."""

    backends: dict[int, list[str]]
    terminating_only: bool
    faults: dict[State, dict[str, str]]
    unserved: int


def _copies(endpoints: Sequence[Endpoint]) -> tuple[dict[str, int], list[str]]:
    """A slice's copies (first address -> best rank) and its ready first addresses (one loop: faster
    here than comprehensions)."""
    best: dict[str, int] = {}
    ready: list[str] = []
    for e in endpoints:
        if not e.addresses:
            continue
        address = e.addresses[0]
        c = e.conditions
        if c is None:
            rank = 0
        else:
            rank = ((_TERMINATING if c.terminating else 0) | (_NOT_READY if c.ready is False else 0)
                    | (_NOT_SERVING if c.serving is False else 0))
        held = best.setdefault(address, rank)
        if rank < held:
            best[address] = rank
        if not rank & _NOT_READY:
            ready.append(address)
    return best, ready


def resolve(ports: Sequence[ServicePort], slices: Sequence[EndpointSlice]) -> Resolution:
    """Every Service port's backends and faults.

    Each slice is read once for all ports. A port's result depends only on its column (what each
    slice says for it, numbers up to renaming), so ports with the same column share one result: a
    Service with many ports whose slices list them alike costs about what one port costs, and any
    Service stays linear in ports x endpoints.
    """
    index = port_index(ports)
    n = len(ports)
    endpoints: set[str] = set()
    listed: set[str] = set()   # addresses of the slices read so far
    # Name order: which slice a finding names does not depend on list order.
    ordered = sorted(slices, key=_name)
    read = [s for s in ordered if s.proxied]
    fqdn = [s for s in ordered if not s.proxied]
    gathered: list[_Read] = []
    for s in read:
        if not s.endpoints:
            continue  # placeholder slices carry nothing to judge
        best, ready = _copies(s.endpoints)
        endpoints.update(ready)
        fresh = listed.isdisjoint(best)
        listed.update(best)
        states, numbers = verdicts(s, index, n)
        gathered.append(_Read(s.metadata.name, best, dict.fromkeys(ready, s.metadata.name) if ready else None,
                              fresh, states, numbers))

    columns: dict[tuple, _Column] = {}
    resolved = []
    for i, port in enumerate(ports):
        targets: dict[int, int] = {}   # target number -> its order of appearance in this column
        key = tuple((r.states[i], targets.setdefault(r.numbers[i], len(targets))) for r in gathered)
        column = columns.get(key)
        if column is None:
            column = columns[key] = _column(gathered, i, targets, endpoints)
        numbers = list(targets)
        backends = {numbers[j]: addresses for j, addresses in column.backends.items()}
        resolved.append(PortResolution(port, backends, column.terminating_only, column.faults, column.unserved))
    return Resolution(endpoints, resolved, read, fqdn)


def _column(gathered: list[_Read], i: int, targets: dict[int, int], endpoints: set[str]) -> _Column:
    """Port i's backends (by target order) and faults, merging each slice with dict and set operations."""
    candidates: dict[int, dict[str, int]] = {}     # target order -> address -> best copy rank
    faults: dict[State, dict[str, str]] = {}       # state -> address -> the first slice saying it
    for r in gathered:
        state = r.states[i]
        if state is State.BACKEND:
            j = targets[r.numbers[i]]
            found = candidates.get(j)
            if found is None:
                candidates[j] = dict(r.best)
            elif r.fresh:
                found.update(r.best)
            else:
                for address, rank in r.best.items():
                    held = found.setdefault(address, rank)
                    if rank < held:
                        found[address] = rank
        elif r.said is not None:
            table = faults.get(state)
            if table is None:
                faults[state] = dict(r.said)
            elif r.fresh:
                table.update(r.said)
            else:
                faults[state] = {**r.said, **table}  # an earlier slice keeps its word
    backends, terminating_only = _backends(candidates)
    served = set().union(*backends.values())
    kept: dict[State, dict[str, str]] = {}
    taken = served
    states = sorted(faults)  # best state first: an endpoint counts under its best only
    for k, state in enumerate(states):
        table = faults[state]
        if not taken.isdisjoint(table):
            table = {a: name for a, name in table.items() if a not in taken}
        if table:
            kept[state] = table
            if k + 1 < len(states):
                taken = taken.union(table)
    unserved = 0 if endpoints <= served else len(endpoints - served)
    return _Column(backends, terminating_only, kept, unserved)


def _backends(by_number: dict[int, dict[str, int]]) -> tuple[dict[int, list[str]], bool]:
    """(target number -> backend addresses, whether they are the terminating fallback)."""
    backends: dict[int, list[str]] = {}
    for number, found in by_number.items():
        if not any(found.values()):
            backends[number] = list(found)   # every copy ready, serving, not terminating
            continue
        addresses = [a for a, rank in found.items() if not rank & _NOT_READY]
        if addresses:
            backends[number] = addresses
    if backends:
        return backends, False
    for number, found in by_number.items():
        addresses = [a for a, rank in found.items() if _is_fallback(rank)]
        if addresses:
            backends[number] = addresses
    return backends, bool(backends)


SOURCE = "kubernetes pkg/proxy/endpointslicecache.go"


def model(service: Service, slices: Sequence[EndpointSlice]) -> Outcome:
    resolution = resolve(service.ports, slices)
    return Outcome(tuple(routes(r.port, r.backend_labels()) for r in resolution.ports))


CONSUMER = Consumer(
    name="kube-proxy",
    title="kube-proxy",
    images=("kube-proxy",),
    behaviours=(Behaviour("all", (VersionRange(since=v("1.19.0")),), model, SOURCE),),
    note="the reference every other consumer is compared with",
)
