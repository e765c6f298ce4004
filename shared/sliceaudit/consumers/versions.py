"""Consumer versions: image tags parsed into the span of releases they can stand for."""

from __future__ import annotations

import re
from dataclasses import dataclass

Triple = tuple[int, int, int]

# The first dotted number in a tag: v0.21.150, 1.11.3, controller-v1.9.4, stable-2.14.10, 3.6-alpine.
# A number must open the tag or follow a separator: "sha256" and "alpine3" name no version.
_NUMBER = re.compile(r"(?:^|[^0-9A-Za-z.])v?(\d{1,6})(?:\.(\d{1,6}))?(?:\.(\d{1,6}))?(?![0-9])")
_MAX_TAG = 128   # OCI tags are at most 128 characters; longer input is not a tag


@dataclass(frozen=True, order=True)
class Version:
    """The releases a tag can stand for, [low, high): `v1.5.1` is one release, `3.6` every 3.6.x."""

    low: Triple
    high: Triple
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class VersionRange:
    """Releases since `since` (inclusive) until `until` (exclusive); None is unbounded."""

    since: Triple | None = None
    until: Triple | None = None

    def overlaps(self, v: Version) -> bool:
        return (self.until is None or v.low < self.until) and (self.since is None or v.high > self.since)


def parse_version(tag: str) -> Version | None:
    """A tag's version span, or None when it names none (`latest`, a digest, `main`)."""
    if not tag or len(tag) > _MAX_TAG:
        return None
    m = _NUMBER.search(tag)
    if m is None:
        return None
    major, minor, patch = m.group(1), m.group(2), m.group(3)
    text = f"v{tag}" if m.start(1) == 0 else tag
    if patch is not None:
        low = (int(major), int(minor), int(patch))
        return Version(low, (low[0], low[1], low[2] + 1), text)
    if minor is not None:
        return Version((int(major), int(minor), 0), (int(major), int(minor) + 1, 0), text)
    return Version((int(major), 0, 0), (int(major) + 1, 0, 0), text)


def v(text: str) -> Triple:
    """`"0.21.150"` -> (0, 21, 150), for writing version ranges."""
    major, minor, patch = (int(x) for x in text.lstrip("v").split("."))
    return (major, minor, patch)
