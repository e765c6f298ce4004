"""The parsing boundary: API JSON (bytes or already-parsed objects) becomes records, once.

Malformed objects are rejected one by one into `Rejected` entries; nothing here raises for a
bad item inside a list, so one broken object never stops the audit of the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from sliceaudit.api import kinds
from sliceaudit.api.records import RECORD_TYPES, ListMeta, Record, describe

# The record type of each kind a scan reads.
KINDS: dict[str, type] = {kind: RECORD_TYPES[kind] for kind in kinds.SCANNED}


@dataclass(frozen=True)
class Rejected:
    """An object that does not fit the API's types: what it was and why."""

    object: str
    message: str


class MalformedObject(ValueError):
    def __init__(self, rejected: Rejected):
        super().__init__(f"{rejected.object}: {rejected.message}")
        self.rejected = rejected


@dataclass(frozen=True)
class Page:
    """One page of a list response."""

    items: tuple[Record, ...]
    errors: tuple[Rejected, ...]
    resource_version: str
    continue_token: str | None


@dataclass(frozen=True)
class WatchEvent:
    type: str
    object: Record | None
    status: dict | None
    resource_version: str


class _Named(msgspec.Struct):
    """Enough of any object to name it in an error."""

    metadata: Any = None


class _RawList(msgspec.Struct):
    metadata: ListMeta = msgspec.field(default_factory=ListMeta)
    items: tuple[msgspec.Raw, ...] | None = None


_NULL = msgspec.Raw(b"null")


class _RawEvent(msgspec.Struct):
    type: str
    # msgspec.Raw cannot share a union with None (`Raw | None` accepts only null): an absent
    # object stays the raw `null` instead.
    object: msgspec.Raw = msgspec.field(default_factory=lambda: _NULL)


_typed_lists: dict[str, type] = {}
_decoders: dict[type, msgspec.json.Decoder] = {}


def record_type(kind: str, types: Mapping[str, type] = KINDS) -> type:
    try:
        return types[kind]
    except KeyError:
        raise ValueError(f"unsupported kind {kind!r}; expected one of {', '.join(types)}") from None


def _decoder(cls: type) -> msgspec.json.Decoder:
    dec = _decoders.get(cls)
    if dec is None:
        dec = _decoders[cls] = msgspec.json.Decoder(cls)
    return dec


def _typed_list(kind: str) -> type:
    """A list envelope whose items decode straight into records: the fast path for clean pages."""
    cls = _typed_lists.get(kind)
    if cls is None:
        cls = msgspec.defstruct(
            f"{kind}List",
            [("metadata", ListMeta, msgspec.field(default_factory=ListMeta)),
             ("items", tuple[record_type(kind), ...] | None, None)],
        )
        _typed_lists[kind] = cls
    return cls


def _name_of(kind: str, raw: bytes | msgspec.Raw | Any) -> str:
    try:
        if isinstance(raw, (bytes, bytearray, memoryview, msgspec.Raw)):
            meta = msgspec.json.decode(raw, type=_Named).metadata
        else:
            meta = raw.get("metadata") if isinstance(raw, Mapping) else None
    except (msgspec.DecodeError, msgspec.ValidationError):
        meta = None
    return describe(kind, meta)


def _reject(kind: str, raw: Any, err: Exception) -> Rejected:
    return Rejected(_name_of(kind, raw), str(err))


def decode_object(kind: str, data: bytes | Mapping, types: Mapping[str, type] = KINDS) -> Record:
    """One object from JSON bytes or a parsed mapping as a record of `types` (the audit's unless
    told: the controller model decodes into its own); raises MalformedObject if it does not fit."""
    cls = record_type(kind, types)
    try:
        if isinstance(data, (bytes, bytearray, memoryview, msgspec.Raw)):
            return _decoder(cls).decode(data)
        if not isinstance(data, Mapping):
            raise msgspec.ValidationError(f"Expected `object`, got `{type(data).__name__}`")
        return msgspec.convert(data, cls, strict=True)
    except (msgspec.DecodeError, msgspec.ValidationError) as err:
        raise MalformedObject(_reject(kind, data, err)) from None


def decode_list(kind: str, data: bytes) -> Page:
    """A list response page. Raises MalformedObject only when the page itself is not JSON."""
    try:
        typed = msgspec.json.decode(data, type=_typed_list(kind))
        return Page(typed.items or (), (), typed.metadata.resource_version, typed.metadata.continue_token or None)
    except msgspec.ValidationError:
        pass  # some item does not fit: decode item by item below
    except msgspec.DecodeError as err:
        raise MalformedObject(Rejected(f"{kind}List", f"not JSON: {err}")) from None
    try:
        envelope = msgspec.json.decode(data, type=_RawList)
    except msgspec.ValidationError as err:
        raise MalformedObject(Rejected(f"{kind}List", str(err))) from None
    items: list[Record] = []
    errors: list[Rejected] = []
    dec = _decoder(record_type(kind))
    for raw in envelope.items or ():
        try:
            items.append(dec.decode(raw))
        except (msgspec.DecodeError, msgspec.ValidationError) as err:
            errors.append(_reject(kind, raw, err))
    meta = envelope.metadata
    return Page(tuple(items), tuple(errors), meta.resource_version, meta.continue_token or None)


_typed_events: dict[str, msgspec.json.Decoder] = {}


def _typed_event(kind: str) -> msgspec.json.Decoder:
    """A watch event whose object decodes straight into the record: one parse per line."""
    dec = _typed_events.get(kind)
    if dec is None:
        cls = msgspec.defstruct(f"{kind}Event", [("type", str), ("object", record_type(kind) | None, None)])
        dec = _typed_events[kind] = msgspec.json.Decoder(cls)
    return dec


def decode_watch_event(kind: str, line: bytes) -> WatchEvent:
    """One line of a watch stream. Raises MalformedObject for garbage or an object that does not fit."""
    try:
        typed = _typed_event(kind).decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError):
        typed = None   # decode again below, slowly, for an error that names the object
    if typed is not None and typed.object is not None and typed.type in ("ADDED", "MODIFIED", "DELETED"):
        return WatchEvent(typed.type, typed.object, None, typed.object.metadata.resource_version)
    if typed is not None and typed.type == "BOOKMARK" and typed.object is not None:
        return WatchEvent("BOOKMARK", None, None, typed.object.metadata.resource_version)
    try:
        event = msgspec.json.decode(line, type=_RawEvent)
    except (msgspec.DecodeError, msgspec.ValidationError) as err:
        raise MalformedObject(Rejected(f"{kind} watch event", str(err))) from None
    if event.type == "ERROR":
        status = msgspec.json.decode(event.object)
        return WatchEvent("ERROR", None, status if isinstance(status, dict) else {}, "")
    if bytes(event.object) == b"null":
        raise MalformedObject(Rejected(f"{kind} watch event", f"{event.type} event without an object"))
    if event.type == "BOOKMARK":
        named = msgspec.json.decode(event.object, type=_Named).metadata
        rv = named.get("resourceVersion", "") if isinstance(named, dict) else ""
        return WatchEvent("BOOKMARK", None, None, rv if isinstance(rv, str) else "")
    obj = decode_object(kind, event.object)
    return WatchEvent(event.type, obj, None, obj.metadata.resource_version)


def decode_documents(documents: Iterable[tuple[str, Any]]) -> tuple[list[Record], list[Rejected]]:
    """Parsed documents (source, body) of any kinds: the kinds the audit reads become records,
    others are skipped, and what does not fit is rejected with its source."""
    records: list[Record] = []
    errors: list[Rejected] = []
    for source, body in documents:
        if not isinstance(body, Mapping):
            errors.append(Rejected(source, f"not an object but {type(body).__name__}"))
            continue
        kind = body.get("kind")
        if kind not in KINDS:
            continue
        try:
            records.append(decode_object(kind, body))
        except MalformedObject as err:
            errors.append(err.rejected)
    return records, errors
