"""Objects from files: `kubectl get -o json|yaml` output, `List`s, multi-document YAML, `-` for stdin."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec
import yaml

from sliceaudit.cli.errors import UsageFailure
from sliceaudit.core.decode import KINDS, decode_documents
from sliceaudit.core.snapshot import Snapshot

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Document:
    source: str      # "path" or "path#3" for the third document
    body: Any


def read_bytes(path: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
    except OSError as err:
        raise UsageFailure(f"cannot read {path}: {err.strerror or err}") from None


def parse_documents(path: str, data: bytes) -> list[Document]:
    """JSON first (fast); anything else as (multi-document) YAML."""
    name = "<stdin>" if path == "-" else path
    try:
        return [Document(name, msgspec.json.decode(data))]
    except msgspec.DecodeError:
        pass
    try:
        bodies = [d for d in yaml.load_all(data, Loader=_Loader) if d is not None]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise UsageFailure(f"{name}: neither JSON nor YAML{where}: {problem}") from None
    if len(bodies) == 1:
        return [Document(name, bodies[0])]
    return [Document(f"{name}#{i}", b) for i, b in enumerate(bodies, 1)]


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
            if isinstance(item, dict) and "kind" not in item and item_kind in KINDS:
                item = {**item, "kind": item_kind}   # typed lists omit each item's kind
            yield from flatten(Document(f"{doc.source} items[{i}]", item))
        return
    yield doc


def snapshot_from_files(paths: list[str]) -> Snapshot:
    """Decode every object; objects that do not fit become errors, kinds the audit ignores are skipped."""
    documents = (
        (item.source, item.body)
        for path in paths
        for doc in parse_documents(path, read_bytes(path))
        for item in flatten(doc)
    )
    return Snapshot.of(*decode_documents(documents))
