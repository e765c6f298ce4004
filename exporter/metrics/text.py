"""Prometheus text exposition (format 0.0.4) primitives: headers, label sets, sample lines."""

from __future__ import annotations

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def escape_label_value(value: str) -> str:
    """Backslash, double quote and newline are the only characters the format escapes in values."""
    if "\\" in value or '"' in value or "\n" in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def labels(**pairs: str) -> bytes:
    """`name="value",...` in the order given (callers keep one fixed order per family)."""
    return ",".join(f'{k}="{escape_label_value(v)}"' for k, v in pairs.items()).encode()


def number(value: float) -> bytes:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value)).encode()
    return repr(float(value)).encode()


def sample(name: bytes, label_set: bytes, value: float) -> bytes:
    return b"%s{%s} %s\n" % (name, label_set, number(value))
