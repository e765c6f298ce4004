"""YAML cut into documents and List items: the pieces parse to what the whole text parses to, and a
broken piece costs only itself. yaml-rs parsing the whole text is the judge."""

from __future__ import annotations

import pytest
import yaml_rs

from sliceaudit.cli.yaml_stream import Parsed, YamlError, parse_stream


def pieces(text: str) -> list[tuple]:
    return [(p.document, p.item, p.body if p.error is None else f"error line {p.error.line}: {p.error.problem}")
            for p in parse_stream(text)]


def objects(docs) -> list:
    """Each List document's items, other documents as they are."""
    out = []
    for doc in docs:
        out.extend(doc["items"] if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List") else [doc])
    return out


def whole_items(text: str) -> list:
    return objects(d for d in (yaml_rs.loads(chunk, parse_datetime=False) for chunk in text.split("\n---\n"))
                   if d is not None)


def stream_items(text: str) -> list:
    return objects(p.body for p in parse_stream(text) if p.error is None and not p.items_follow)


LIST = "apiVersion: v1\nitems:\n- kind: Service\n  metadata:\n    name: a\n- kind: Service\n  metadata:\n" \
       "    name: b\nkind: List\nmetadata:\n  resourceVersion: \"\"\n"

# Texts whose cuts must not change what they mean (each against the whole-text parse).
SAME_AS_WHOLE = {
    "kubectl list": LIST,
    "indented entries": "kind: List\nitems:\n  - a: 1\n    b: [x]\n  - a: 2\nmetadata: {}\n",
    "items last, comments between": "kind: ServiceList\n# c\nitems:\n# c\n- a: 1\n\n# c\n- a: 2\n",
    "multi-line quoted scalar": 'kind: List\nitems:\n- a: "one\n    two"\n- a: 3\n',
    "block scalar with dashes": "kind: List\nitems:\n- a: |\n    - not an item\n    ---x\n- a: 2\n",
    "entry that is a scalar": "kind: List\nitems:\n- 5\n- a: 1\n",
    "empty entry": "kind: List\nitems:\n-\n- a: 1\n",
    "crlf": "kind: List\r\nitems:\r\n- a: 1\r\n- a: 2\r\n",
    "documents": "a: 1\n---\nkind: List\nitems:\n- b: 2\n---\nc: 3\n",
    "anchors (parsed whole)": "kind: List\nitems:\n- &x {a: 1}\n- *x\n",
    "not a List": "kind: Thing\nitems:\n- a: 1\n",
    "items: in a nested mapping": "kind: List\nspec:\n  items:\n  - a: 1\nitems:\n- b: 2\n",
}


@pytest.mark.parametrize("text", SAME_AS_WHOLE.values(), ids=SAME_AS_WHOLE.keys())
def test_pieces_mean_what_the_whole_means(text):
    assert stream_items(text) == whole_items(text)


def test_items_come_one_by_one_after_their_list():
    assert pieces(LIST) == [
        (None, None, {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}}),
        (None, 0, {"kind": "Service", "metadata": {"name": "a"}}),
        (None, 1, {"kind": "Service", "metadata": {"name": "b"}}),
    ]
    assert [p.items_follow for p in parse_stream(LIST)] == [True, False, False]


def test_a_broken_item_costs_only_itself():
    text = "kind: List\nitems:\n- a: 1\n- a: [unclosed\n- a: 3\n"
    assert pieces(text)[1:] == [(None, 0, {"a": 1}), (None, 1, "error line 4: unclosed bracket '[', column 6"),
                                (None, 2, {"a": 3})]


def test_a_broken_document_costs_only_itself():
    text = "a: 1\n---\nb: [unclosed\n---\nc: 3\n"
    assert pieces(text) == [(1, None, {"a": 1}), (2, None, "error line 3: unclosed bracket '[', column 4"),
                            (3, None, {"c": 3})]


@pytest.mark.parametrize("text", ['kind: List\nitems:\n- a: "x\n- y"\n- c: 3\n',
                                  "kind: List\nitems:\n- a: [x,\n- y]\n- c: 3\n"])
def test_no_node_crosses_a_cut(text):
    # Continued at the entries' indentation: broken for the whole text, and so for the piece.
    with pytest.raises(yaml_rs.YAMLDecodeError, match="invalid indentation"):
        yaml_rs.loads(text)
    assert [p.body for p in parse_stream(text) if p.item is not None][-1] == {"c": 3}


def test_limits_are_errors_not_crashes():
    with pytest.raises(YamlError, match="1000 levels"):
        list(parse_stream("- " * 20_000 + "x\n"))
    assert isinstance(next(iter(parse_stream("a: 1\n"))), Parsed)
