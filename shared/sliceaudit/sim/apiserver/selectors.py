"""Label and field selectors, parsed the way the API server parses them."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

_KEY = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_SET = re.compile(r"^(\S+)\s+(in|notin)\s+\((.*)\)$")


class SelectorError(ValueError):
    """A selector the API server would answer with 400 BadRequest."""


def _terms(text: str) -> list[str]:
    out, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur).strip())
    return [t for t in out if t]


def _key(key: str, text: str) -> str:
    if not _KEY.match(key):
        raise SelectorError(f"unable to parse requirement: invalid label key {key!r} in {text!r}")
    return key


Matcher = Callable[[Mapping[str, str]], bool]


def _in(key: str, values: frozenset[str], inside: bool) -> Matcher:
    return lambda labels: (labels.get(key) in values) == inside


def _equals(key: str, value: str, equal: bool) -> Matcher:
    return lambda labels: (labels.get(key) == value) == equal


def _exists(key: str, present: bool) -> Matcher:
    return lambda labels: (key in labels) == present


def label_selector(text: str | None) -> Matcher | None:
    """A predicate over labels for `=`, `==`, `!=`, `in`, `notin`, `key` and `!key` terms; None matches all."""
    if not text or not text.strip():
        return None
    checks: list[Matcher] = []
    for term in _terms(text):
        m = _SET.match(term)
        if m:
            values = frozenset(v.strip() for v in m.group(3).split(",") if v.strip())
            checks.append(_in(_key(m.group(1), text), values, m.group(2) == "in"))
        elif "!=" in term:
            key, value = (x.strip() for x in term.split("!=", 1))
            checks.append(_equals(_key(key, text), value, False))
        elif "=" in term:
            key, value = (x.strip() for x in re.split(r"==?", term, maxsplit=1))
            checks.append(_equals(_key(key, text), value, True))
        elif term.startswith("!"):
            checks.append(_exists(_key(term[1:].strip(), text), False))
        else:
            checks.append(_exists(_key(term, text), True))
    return lambda labels: all(c(labels) for c in checks)


def field_selector(text: str | None, supported: frozenset[str]) -> Callable[[Mapping[str, str]], bool] | None:
    """A predicate over an object's selectable fields; unsupported fields raise SelectorError."""
    if not text or not text.strip():
        return None
    checks = []
    for term in _terms(text):
        if "!=" in term:
            field, value = term.split("!=", 1)
            negate = True
        elif "=" in term:
            field, value = re.split(r"==?", term, maxsplit=1)
            negate = False
        else:
            raise SelectorError(f"invalid selector: {text!r}; can't understand {term!r}")
        field = field.strip()
        if field not in supported:
            raise SelectorError(f'field label not supported: {field}')
        checks.append((field, value.strip(), negate))
    return lambda fields: all((fields.get(f, "") == v) != neg for f, v, neg in checks)
