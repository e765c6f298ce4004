"""Manifests from files, each with the line it starts on (for SARIF): YAML streams, JSON, Lists.

The same bounded reading as `scan --file` (files.read_bytes, yaml_stream's limits on nesting and
aliases); a document or List item that does not parse becomes a Rejected entry, the rest is read.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from sliceaudit.api.decode import Rejected
from sliceaudit.cli.errors import UsageFailure
from sliceaudit.cli.files import Document, display_name, documents, flatten, read_bytes
from sliceaudit.cli.yaml_stream import YamlError, parse_stream
from sliceaudit.predict import Manifest


def _first_content(lines: list[str], line: int) -> int:
    """The first line at or after `line` that is not `---`, a comment or blank (1-based)."""
    i = line - 1
    while i < len(lines) and (lines[i].strip() == "" or lines[i].lstrip().startswith(("---", "#"))):
        i += 1
    return i + 1 if i < len(lines) else line


def _yaml(name: str, text: str) -> Iterator[Manifest | Rejected]:
    lines = text.splitlines()
    item_kind: str | None = None
    for parsed in parse_stream(text):
        source = name if parsed.document is None else f"{name}#{parsed.document}"
        line = _first_content(lines, parsed.line or 1)
        if parsed.error is not None:
            yield Rejected(f"{source}:{parsed.error.line or line}", parsed.error.problem)
        elif parsed.items_follow:
            item_kind = parsed.body["kind"][: -len("List")] or None
        elif parsed.item is not None:
            body = parsed.body
            if isinstance(body, dict) and "kind" not in body and item_kind:
                body = {**body, "kind": item_kind}   # typed lists omit each item's kind
            yield Manifest(body, name, line)
        else:
            for doc in flatten(Document(source, parsed.body)):   # a List parsed whole (anchors)
                yield Manifest(doc.body, name, line)


def read_manifests(path: str) -> tuple[list[Manifest], list[Rejected]]:
    """Every object of one file (`-` for stdin) with its line, and what could not be read."""
    data = read_bytes(path)
    name = display_name(path)
    out: list[Manifest] = []
    errors: list[Rejected] = []
    try:
        msgspec.json.decode(data)
        is_json = True
    except (msgspec.DecodeError, RecursionError):
        is_json = False
    if is_json:
        # JSON (kubectl get -o json) has no useful lines for code scanning: each object on line 1.
        for got in documents(path, data):
            if isinstance(got, Rejected):
                errors.append(got)
            else:
                out.extend(Manifest(d.body, name, 1) for d in flatten(got))
        return out, errors
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UsageFailure(f"{name}: neither JSON nor YAML: not UTF-8 (byte {err.start})") from None
    try:
        for got in _yaml(name, text):
            (errors if isinstance(got, Rejected) else out).append(got)
    except YamlError as err:
        raise UsageFailure(f"{name}: {err}") from None
    if not out and errors:
        raise UsageFailure(f"{name}: nothing readable: {errors[0].object}: {errors[0].message}")
    return out, errors
