"""Held copies of Services and EndpointSlices: only what the per-Service audit reads, packed.

A watch holds every slice of a fleet for weeks. Per slice: its namespace, name, Service, producer
(managed-by), addressType, one shared port tuple, and per endpoint one byte of conditions and the
first address, packed into 4 or 16 bytes. The rare slice with an endpoint of several addresses
(consumers such as ingress-nginx route to each) holds its addresses as strings instead. `expand_slice`
turns it back into the record `audit_service` reads, for the few Services an event touches, so
the exporter audits exactly what the CLI audits.

Nothing held is shared with the decoded record: one surviving string of a record keeps its
allocator arena (1 MiB) resident, which kept the exporter at its relist peak. bench/exporter.py
measures what each step saves.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from itertools import product

import msgspec

from sliceaudit.api.records import (
    CLUSTER_IP_NONE,
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
    Endpoint,
    EndpointConditions,
    EndpointSlice,
    ObjectMeta,
    Service,
    ServiceSpec,
)

_LIMIT = 50_000  # an interning table is dropped (not trimmed) past this size: churn never grows it unbounded


def _fresh(text: str) -> str:
    """A copy of `text` that owns its memory (a 2-item join always allocates)."""
    return "".join((text, ""))


class _Interner:
    """One shared copy per distinct value, made by `make(value)` (equal to it) the first time.

    The copy is the table's key too: keeping the record's own object as a key would pin its arena.
    """

    def __init__(self, make: Callable) -> None:
        self._make = make
        self._table: dict = {}

    def __call__(self, key):
        if key is None:
            return None
        found = self._table.get(key)
        if found is None:
            if len(self._table) >= _LIMIT:
                self._table = {}
            found = self._make(key)
            self._table[found] = found
        return found


def _fresh_record(record):
    """A deep copy owning all its memory (a JSON round trip keeps every field, known or added later)."""
    return msgspec.json.decode(msgspec.json.encode(record), type=type(record))


_strings = _Interner(_fresh)          # namespaces, producers, address types
_ports = _Interner(lambda ports: tuple(_fresh_record(p) for p in ports))  # shared port tuples


# --- conditions: one byte per endpoint ----------------------------------------------------------

# Each condition the record declares (ready, serving, terminating, ...) is absent, false or true:
# absent has a meaning of its own (ready and serving default to true), so it is kept as such.
_FIELDS = EndpointConditions.__struct_fields__
_NO_CONDITIONS = 255  # `conditions` itself absent
_STATES = (None, False, True)
_CONDITIONS = tuple(EndpointConditions(**dict(zip(_FIELDS, states)))
                    for states in product(_STATES, repeat=len(_FIELDS)))
_CODE = {c: code for code, c in enumerate(_CONDITIONS)}
assert len(_CONDITIONS) < _NO_CONDITIONS


def _condition_code(c: EndpointConditions | None) -> int:
    return _NO_CONDITIONS if c is None else _CODE[c]


def _conditions(code: int) -> EndpointConditions | None:
    return None if code == _NO_CONDITIONS else _CONDITIONS[code]


# --- addresses: one per endpoint packed when they round-trip exactly -----------------------------

_FAMILY = {"IPv4": (socket.AF_INET, 4), "IPv6": (socket.AF_INET6, 16)}

# An endpoint's addresses held as strings: None for none, the address for one, all of them for several.
Addresses = str | tuple[str, ...] | None


def _pack(address_type: str, addresses: list[tuple[str, ...]]) -> bytes | tuple[Addresses, ...]:
    """Each endpoint's one address as 4 or 16 bytes; as strings when any would not come back the same.

    Unpacking must give back the very strings (the audit counts and prints strings): "010.0.0.1" or
    "2001:DB8::1" stay strings, and so do FQDN slices' names, endpoints without addresses and
    endpoints with several (every consumer that reads more than the first reads them all, in order).
    """
    family = _FAMILY.get(address_type)
    if family is not None and all(len(a) == 1 for a in addresses):
        try:
            packed = [socket.inet_pton(family[0], a) for (a,) in addresses]
            if all(socket.inet_ntop(family[0], p) == a for p, (a,) in zip(packed, addresses)):
                return b"".join(packed)
        except (OSError, TypeError, ValueError):
            pass
    return tuple(None if not a else _fresh(a[0]) if len(a) == 1 else tuple(map(_fresh, a)) for a in addresses)


def _addresses(held: Addresses) -> tuple[str, ...]:
    return () if held is None else held if isinstance(held, tuple) else (held,)


def _unpack(address_type: str, addresses: bytes | tuple[Addresses, ...]) -> list[Addresses]:
    if isinstance(addresses, tuple):
        return list(addresses)
    af, width = _FAMILY[address_type]
    return [socket.inet_ntop(af, addresses[i:i + width]) for i in range(0, len(addresses), width)]


# --- slices ---------------------------------------------------------------------------------------


class HeldSlice(msgspec.Struct, frozen=True, gc=False):
    """What the audit reads of one EndpointSlice; equal when the audit would see no difference."""

    namespace: str
    name: str
    service_name: str | None      # its kubernetes.io/service-name label
    managed_by: str | None
    address_type: str
    ports: tuple | None            # shared between slices with the same ports
    conditions: bytes | None       # one code per endpoint; None for `endpoints: null`
    addresses: bytes | tuple[Addresses, ...]  # per endpoint, in order (see _pack)


def compact_slice(s: EndpointSlice | HeldSlice) -> HeldSlice:
    if isinstance(s, HeldSlice):
        return s  # compacted already, as its list page arrived
    endpoints = s.endpoints
    conditions = None if endpoints is None else bytes(_condition_code(e.conditions) for e in endpoints)
    return HeldSlice(
        namespace=_strings(s.metadata.namespace), name=_fresh(s.metadata.name),
        service_name=_strings(s.service_name), managed_by=_strings(s.managed_by),
        address_type=_strings(s.address_type), ports=_ports(s.ports), conditions=conditions,
        addresses=_pack(s.address_type, [e.addresses for e in endpoints or ()]))


def expand_slice(held: HeldSlice) -> EndpointSlice:
    """The record `audit_service` and the consumer models read (no uid, resourceVersion, targetRefs, nodes or zones)."""
    labels = {k: v for k, v in ((SERVICE_NAME_LABEL, held.service_name), (MANAGED_BY_LABEL, held.managed_by)) if v}
    endpoints = None
    if held.conditions is not None:
        endpoints = tuple(Endpoint(addresses=_addresses(a), conditions=_conditions(code))
                          for code, a in zip(held.conditions, _unpack(held.address_type, held.addresses)))
    return EndpointSlice(metadata=ObjectMeta(name=held.name, namespace=held.namespace, labels=labels or None),
                         address_type=held.address_type, endpoints=endpoints, ports=held.ports)


# --- services -----------------------------------------------------------------------------------


class HeldService(Service, frozen=True, gc=False):
    """A Service record that owns its memory and holds only its name and spec."""


# Spec fields the exporter's audit never reads: the selector only root cause reads (which Pods it
# matches), and the exporter holds no Pods. ~0.45 KB a Service.
_SPEC_UNREAD = {"selector"} & set(ServiceSpec.__struct_fields__)
# Of `clusterIP` the consumer models (coredns, uniform) read only whether it is "None" (a headless
# Service): that is kept, a Service's own address (a string per Service) is not.


def compact_service(s: Service) -> HeldService:
    """Its name and the spec the audit and the consumer models read (ports shared between Services)."""
    if isinstance(s, HeldService):
        return s
    spec = _fresh_record(msgspec.structs.replace(s.spec, cluster_ip=None, **dict.fromkeys(_SPEC_UNREAD)))
    cluster_ip = CLUSTER_IP_NONE if s.spec.cluster_ip == CLUSTER_IP_NONE else None   # one shared "None"
    return HeldService(metadata=ObjectMeta(name=_fresh(s.metadata.name), namespace=_strings(s.metadata.namespace)),
                       spec=msgspec.structs.replace(spec, cluster_ip=cluster_ip, ports=_ports(spec.ports)))


def compact(record: Service | EndpointSlice) -> HeldService | HeldSlice:
    """What the exporter holds of a Service or an EndpointSlice."""
    return compact_slice(record) if isinstance(record, EndpointSlice) else compact_service(record)
