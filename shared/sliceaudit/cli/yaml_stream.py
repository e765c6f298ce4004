"""YAML text -> documents, a `List`'s items parsed one at a time, each failure kept to itself.

yaml-rs (a Rust parser) reads `kubectl get -A -o yaml` of a 20,000-slice cluster ~10x faster than
PyYAML's libyaml loader, but holding the whole file's objects at once would still cost gigabytes.
So the text is cut where YAML itself says a node ends, and each piece is parsed alone:
- documents at `---` lines (a line starting `---` ends any scalar: YAML 1.2 c-forbidden);
- in a `List` document with a top-level `items:` sequence, at each entry's `- `. No node of an
  entry crosses that line: block and plain scalars end there, and yaml-rs refuses a quoted
  scalar or flow collection continued at the entries' indentation ("invalid indentation"), so
  such a piece is broken YAML either way. Anchors span entries: a document with any is parsed
  whole.
A piece that does not parse is reported alone; the pieces around it are still audited.
Bounds: nesting (deep enough input crashes the parser's stack) and alias expansion (a few kB of
"billion laughs" would otherwise become gigabytes) are checked before or during the parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml_rs

# libyaml's limit too: no honest manifest nests this deep (a line's indentation and its `- `, `? `
# and `: ` indicators bound how deep its block nodes are).
MAX_DEPTH = 1000
# Replayed events of aliases per file: kubectl never writes aliases; a hand-written file uses a few.
MAX_ALIAS_EVENTS = 1_000_000

_DOCUMENT = re.compile(r"^---(?=[ \t\r\n]|$)", re.M)
_ITEMS = re.compile(r"^items:[ \t]*(?:#.*)?\r?$", re.M)
_FIRST_ENTRY = re.compile(r"^( *)-(?:[ \t]|\r?$)", re.M)
_CONTENT = re.compile(r"^[ \t]*[^ \t\r\n#]", re.M)
_ANCHOR = re.compile(r"(?:^|[ \t\[{,])&[^ \t\r\n,\[\]{}]", re.M)
_DEEP = re.compile(rf"^[ ?:-]{{{MAX_DEPTH}}}", re.M)
_WHERE = re.compile(r"at line (\d+), column (\d+)")


class YamlError(ValueError):
    """A piece of YAML that does not parse, or past a limit: the problem, and `line` (1-based, in the
    whole text) where known."""

    def __init__(self, problem: str, line: int | None = None, *, limit: bool = False):
        super().__init__(f"{problem} (line {line})" if line else problem)
        self.problem, self.line, self.limit = problem, line, limit


@dataclass(frozen=True)
class Parsed:
    """One document's body, or one `List` item's; `error` instead when it did not parse."""

    document: int | None          # 1-based; None when the text holds one document
    item: int | None              # index in the document's `items`, None for the document itself
    body: Any = None
    error: YamlError | None = None
    items_follow: bool = False    # a document whose `items` come next, one Parsed each
    line: int | None = None       # where the document's (or item's) text starts in the whole text


def check_depth(text: str) -> None:
    m = _DEEP.search(text)
    if m is not None:
        raise YamlError(f"YAML nested or indented {MAX_DEPTH} levels deep or more (the limit)",
                        _line_at(text, m.start()), limit=True)


def parse_stream(text: str) -> Iterator[Parsed]:
    """Every document of `text` (empty ones skipped), a List's items one by one."""
    check_depth(text)
    budget = _AliasBudget()
    starts = [m.start() for m in _DOCUMENT.finditer(text)]
    if not starts or _CONTENT.search(text, 0, starts[0]):
        starts.insert(0, 0)
    spans, line, pos = [], 1, 0
    for start, end in zip(starts, starts[1:] + [len(text)]):
        line += text.count("\n", pos, start)
        pos = start
        if _CONTENT.search(text, start, end):
            spans.append((start, end, line))
    for number, (start, end, line) in enumerate(spans, 1):
        yield from _document(text[start:end], number if len(spans) > 1 else None, line, budget)


def _document(text: str, number: int | None, line: int, budget: _AliasBudget) -> Iterator[Parsed]:
    split = _split_items(text) if _ANCHOR.search(text) is None else None
    if split is None:
        yield from _whole(text, number, line, budget)
    else:
        yield from _items(text, number, line, split, budget)


def _whole(text: str, number: int | None, line: int, budget: _AliasBudget) -> Iterator[Parsed]:
    try:
        body = _parse(text, line, budget)
    except YamlError as err:
        yield Parsed(number, None, error=err)
        return
    if body is not None:
        yield Parsed(number, None, body, line=line)


@dataclass(frozen=True)
class _Split:
    head: str                       # the document without its items
    entries: list[tuple[int, int]]  # each item's (start, end) in the document's text


def _split_items(text: str) -> _Split | None:
    """Where a top-level `items:` sequence's entries begin and end, or None (not that shape)."""
    key = _ITEMS.search(text)
    if key is None:
        return None
    first = _FIRST_ENTRY.search(text, key.end())
    if first is None or _CONTENT.search(text, key.end(), first.start()):
        return None
    indent = len(first.group(1))
    entry = re.compile(rf"^ {{{indent}}}-(?:[ \t]|\r?$)", re.M)
    # The block ends at the first content line indented no deeper than an entry that is not one.
    block_end = re.compile(rf"^(?! {{{indent}}}-(?:[ \t]|\r?$))(?= {{0,{indent}}}[^ \t\r\n#])", re.M)
    end_match = block_end.search(text, first.start())
    end = end_match.start() if end_match else len(text)
    starts = [m.start() for m in entry.finditer(text, first.start(), end)]
    # The head keeps the items block's lines as blank ones, so its line numbers stay the document's.
    blank = "\n" * text.count("\n", key.start(), end)
    return _Split(text[: key.start()] + blank + text[end:], list(zip(starts, starts[1:] + [end])))


def _items(text: str, number: int | None, doc_line: int, split: _Split, budget: _AliasBudget) -> Iterator[Parsed]:
    try:
        head = _parse(split.head, doc_line, budget)
    except YamlError:
        head = None
    kind = head.get("kind") if isinstance(head, dict) else None
    if not (isinstance(kind, str) and kind.endswith("List")) or "items" in head:
        yield from _whole(text, number, doc_line, budget)
        return
    yield Parsed(number, None, head, items_follow=True, line=doc_line)
    line, pos = doc_line, 0
    for index, (start, end) in enumerate(split.entries):
        line += text.count("\n", pos, start)
        pos = start
        try:
            body = _parse(text[start:end], line, budget)
        except YamlError as err:
            yield Parsed(number, index, error=err)
            continue
        if isinstance(body, list) and len(body) == 1:
            yield Parsed(number, index, body[0], line=line)
        else:
            yield Parsed(number, index, error=YamlError("not one sequence entry", line))


class _AliasBudget:
    """Alias expansion left for the whole file, spent by each piece that has anchors."""

    def __init__(self, events: int = MAX_ALIAS_EVENTS):
        self.left = events

    def limits(self) -> yaml_rs.AliasLimits:
        return yaml_rs.AliasLimits(max_total_replayed_events=max(self.left, 0))

    def spend(self, body: Any) -> None:
        self.left -= _count_nodes(body, self.left + 1)


def _parse(text: str, line: int, budget: _AliasBudget) -> Any:
    anchored = _ANCHOR.search(text) is not None
    try:
        body = yaml_rs.loads(text, parse_datetime=False, alias_limits=budget.limits() if anchored else None)
    except yaml_rs.YAMLDecodeError as err:
        raise _located(str(err), line) from None
    except RecursionError:
        raise YamlError("YAML nested too deeply", line, limit=True) from None
    if anchored:
        budget.spend(body)
    return body


def _located(message: str, line: int) -> YamlError:
    """yaml-rs's multi-line message as one line, its line number moved into the whole text."""
    lines = [s for s in message.splitlines() if s.strip()]
    m = _WHERE.search(lines[0]) if lines else None
    if m is None:
        problem = " ".join(" ".join(lines).split()) or "not YAML"
        if "alias" in problem and "limit" in problem:
            return YamlError(f"YAML aliases expand past {MAX_ALIAS_EVENTS:,} nodes (the limit)", line, limit=True)
        return YamlError(problem, None)
    problem = lines[-1].strip() if len(lines) > 1 else "parse error"
    return YamlError(f"{problem}, column {m.group(2)}", line + int(m.group(1)) - 1)


def _count_nodes(body: Any, stop: int) -> int:
    """Nodes in a parsed body, counting at most up to `stop`."""
    count, todo = 0, [body]
    while todo and count < stop:
        node = todo.pop()
        count += 1
        if isinstance(node, dict):
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return count


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1
