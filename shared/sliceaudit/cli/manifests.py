"""Manifests from files, each with the line it starts on (for SARIF): YAML streams, JSON, Lists."""

from __future__ import annotations

from collections.abc import Iterator

import yaml

from sliceaudit.cli.errors import UsageFailure
from sliceaudit.cli.files import flatten, parse_documents, read_bytes
from sliceaudit.predict import Manifest

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _items_node(node: yaml.Node) -> yaml.SequenceNode | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "items" and isinstance(value, yaml.SequenceNode):
                return value
    return None


def _with_lines(name: str, data: bytes) -> Iterator[Manifest]:
    loader = _Loader(data)
    try:
        while loader.check_node():
            node = loader.get_node()
            body = loader.construct_document(node)
            if body is None:
                continue
            items = _items_node(node)
            kind = body.get("kind") if isinstance(body, dict) else None
            if isinstance(kind, str) and kind.endswith("List") and items is not None \
                    and isinstance(body.get("items"), list):
                item_kind = kind[: -len("List")]
                for item_node, item in zip(items.value, body["items"]):
                    if isinstance(item, dict) and "kind" not in item and item_kind:
                        item = {**item, "kind": item_kind}   # typed lists omit each item's kind
                    yield Manifest(item, name, item_node.start_mark.line + 1)
                continue
            yield Manifest(body, name, node.start_mark.line + 1)
    finally:
        loader.dispose()


def read_manifests(path: str) -> list[Manifest]:
    """Every object of one file (`-` for stdin) with its line; unreadable or unparsable input is a UsageFailure."""
    data = read_bytes(path)
    name = "<stdin>" if path == "-" else path
    try:
        return list(_with_lines(name, data))
    except yaml.YAMLError:
        # Not YAML (JSON that YAML does not take, or garbage): files.py says which, objects on line 1.
        return [Manifest(d.body, name, 1) for doc in parse_documents(path, data) for d in flatten(doc)]
    except (ValueError, TypeError, RecursionError) as err:
        raise UsageFailure(f"{name}: cannot read manifests: {err}") from None
