"""Deterministic names, UIDs, addresses and timestamps, all drawn from one seeded generator."""

from __future__ import annotations

import contextlib
import functools
import gc
import random
import uuid
from datetime import UTC, datetime, timedelta

# apimachinery's rand.String alphabet: generateName suffixes and pod-template-hash look like the real ones.
ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
EPOCH = datetime(2025, 1, 6, 8, 0, 0, tzinfo=UTC)


@functools.lru_cache(maxsize=65536)
def timestamp(t: int) -> str:
    """RFC 3339 time of logical second t, as the API server writes it."""
    return (EPOCH + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextlib.contextmanager
def bulk():
    """Pauses the cyclic GC while hundreds of thousands of acyclic dicts are made (it would rescan them all)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]


def code(n: int) -> str:
    """A 5-character name suffix for the number n (cheap, for bulk generation)."""
    return _PAIRS[n % 729] + _PAIRS[(n // 729) % 729] + ALPHABET[(n // 531441) % 27]


def fast_uid(rng: random.Random) -> str:
    """A version-4 UUID string from rng, quicker than uuid.UUID for hundreds of thousands."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


class Ids:
    """Draws identifiers for one cluster; the same seed gives the same cluster."""

    def __init__(self, rng: random.Random, cluster_index: int = 0):
        self.rng = rng
        self.cluster_index = cluster_index % 200
        self._pod4 = 0
        self._svc4 = 10
        self._ext = self.rng.randrange(1, 200) * 256
        self._names: set[tuple[str, str]] = set()

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def suffix(self, n: int = 5) -> str:
        return "".join(self.rng.choice(ALPHABET) for _ in range(n))

    def generated(self, namespace: str, prefix: str, n: int = 5) -> str:
        """A generateName result, unique in its namespace."""
        while True:
            name = prefix + self.suffix(n)
            if (namespace, name) not in self._names:
                self._names.add((namespace, name))
                return name

    def pod_ips(self) -> tuple[str, str]:
        """Next pod address, IPv4 from 10.<cluster>.0.0/16 and its IPv6 twin."""
        self._pod4 += 1
        n = self._pod4
        ip4 = f"10.{self.cluster_index + 1}.{(n >> 8) & 255}.{n & 255}"
        ip6 = f"fd00:10:{self.cluster_index + 1:x}::{n:x}"
        return ip4, ip6

    def external_ip(self) -> str:
        """An address outside the pod network, for hand-made slices."""
        self._ext += 1
        return f"192.168.{(self._ext >> 8) & 255}.{self._ext & 255}"

    def reserve(self, namespace: str, name: str) -> str:
        self._names.add((namespace, name))
        return name

    def release(self, namespace: str, name: str) -> None:
        """The object is gone: its name may be generated again, as the API server allows."""
        self._names.discard((namespace, name))

    def service_ips(self) -> tuple[str, str]:
        self._svc4 += 1
        n = self._svc4
        return f"172.20.{(n >> 8) & 255}.{n & 255}", f"fd00:172:20::{n:x}"
