"""Objects from files: `kubectl get -o json|yaml` output, `List`s, multi-document YAML, `-` for stdin.

A file is read in bounded chunks up to a size limit; JSON is decoded in one pass, YAML document by
document and a `List` item by item (yaml_stream.py), so one broken document or item becomes an
error entry and the others are still audited. A file with nothing usable in it fails the scan.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import msgspec

from sliceaudit.api.decode import Rejected, decode_documents
from sliceaudit.api.kinds import SCANNED
from sliceaudit.api.snapshot import Snapshot
from sliceaudit.cli.errors import UsageFailure
from sliceaudit.cli.yaml_stream import MAX_DEPTH, Parsed, YamlError, parse_stream

MAX_INPUT_MB = 512
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Document:
    source: str      # "path" or "path#3" for the third document
    body: Any


@dataclass
class FileInput:
    """What the files held: the snapshot, and one line per file that gave nothing to audit."""

    snapshot: Snapshot
    failures: list[str] = field(default_factory=list)


def display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def read_bytes(path: str, max_mb: float = MAX_INPUT_MB) -> bytes:
    """The file's bytes, read a chunk at a time; past `max_mb` it is refused, whatever it is (/dev/zero)."""
    limit = int(max_mb * 1024 * 1024)
    try:
        if path == "-":
            if sys.stdin is None:
                raise UsageFailure("cannot read standard input: it is closed")
            return _read_limited(sys.stdin.buffer, "<stdin>", limit, max_mb)
        with open(path, "rb") as f:
            return _read_limited(f, path, limit, max_mb)
    except OSError as err:
        raise UsageFailure(f"cannot read {display_name(path)}: {err.strerror or err}") from None


def _read_limited(f: BinaryIO, name: str, limit: int, max_mb: float) -> bytes:
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = f.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > limit:
            raise UsageFailure(f"{name} is larger than {max_mb:g} MB (raise the limit with --max-input-mb)")
        parts.append(chunk)


def documents(path: str, data: bytes) -> Iterator[Document | Rejected]:
    """JSON first (fast); anything else as (multi-document) YAML, whose broken parts come as Rejected."""
    name = display_name(path)
    try:
        yield Document(name, msgspec.json.decode(data))
        return
    except msgspec.DecodeError:
        pass
    except RecursionError:
        yield Rejected(name, f"JSON nested deeper than the {MAX_DEPTH} levels read")
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        yield Rejected(name, f"neither JSON nor YAML: not UTF-8 (byte {err.start})")
        return
    try:
        yield from _yaml_documents(name, parse_stream(text))
    except YamlError as err:
        yield Rejected(name, _problem(err))


def _yaml_documents(name: str, stream: Iterator[Parsed]) -> Iterator[Document | Rejected]:
    item_kind: str | None = None
    for parsed in stream:
        source = name if parsed.document is None else f"{name}#{parsed.document}"
        if parsed.item is not None:
            source = f"{source} items[{parsed.item}]"
        if parsed.error is not None:
            yield Rejected(source, _problem(parsed.error))
        elif parsed.items_follow:
            item_kind = parsed.body["kind"][: -len("List")] or None
        elif parsed.item is not None:
            yield Document(source, _with_kind(parsed.body, item_kind))
        else:
            yield Document(source, parsed.body)


def _problem(err: YamlError) -> str:
    return str(err) if err.limit else f"neither JSON nor YAML: {err}"


def _with_kind(item: Any, kind: str | None) -> Any:
    """Typed lists (`ServiceList`) omit each item's kind."""
    if isinstance(item, dict) and "kind" not in item and kind in SCANNED:
        return {**item, "kind": kind}
    return item


def flatten(doc: Document) -> Iterator[Document]:
    """Items of `List` and `XxxList` documents, recursively; other documents as they are."""
    body = doc.body
    kind = body.get("kind") if isinstance(body, dict) else None
    if isinstance(kind, str) and kind.endswith("List") and "items" in body:
        items = body["items"]
        if not isinstance(items, list):
            yield Document(doc.source, items)   # rejected below: not an object
            return
        item_kind = kind[: -len("List")] or None
        for i, item in enumerate(items):
            yield from flatten(Document(f"{doc.source} items[{i}]", _with_kind(item, item_kind)))
        return
    yield doc


def decode_one(doc: Document) -> tuple[list, list[Rejected]]:
    """One object's record, or why it is rejected; skipped (nothing) for kinds the audit ignores."""
    kind = doc.body.get("kind") if isinstance(doc.body, dict) else None
    if kind is not None and not isinstance(kind, str):
        return [], [Rejected(doc.source, f"kind is not a string but {type(kind).__name__}")]
    try:
        return decode_documents([(doc.source, doc.body)])
    except RecursionError:
        return [], [Rejected(doc.source, "nested too deeply")]


def snapshot_from_files(paths: list[str], max_mb: float = MAX_INPUT_MB) -> FileInput:
    """Decode every object; objects that do not fit become errors, kinds the audit ignores are skipped."""
    records: list = []
    errors: list[Rejected] = []
    failures: list[str] = []
    for path in paths:
        usable = 0
        first_error: Rejected | None = None
        for entry in documents(path, read_bytes(path, max_mb)):
            if isinstance(entry, Rejected):
                errors.append(entry)
                first_error = first_error or entry
                continue
            usable += 1
            for item in flatten(entry):
                got, rejected = decode_one(item)
                records.extend(got)
                errors.extend(rejected)
        if not usable:
            why = f"{first_error.object}: {first_error.message}" if first_error else \
                f"{display_name(path)}: no objects in it"
            failures.append(why)
    return FileInput(Snapshot.of(records, errors), failures)
