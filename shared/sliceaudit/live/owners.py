"""The owners policy: which Pods and owner objects a live scan lists for root cause."""

from __future__ import annotations

from enum import StrEnum


class Owners(StrEnum):
    """Where Pods and their owners are listed (live/fetch.py says how); parsed once where it is given."""

    NEEDED = "needed"   # only in the namespaces of Services with findings
    ALL = "all"         # cluster-wide, every owner kind
    NONE = "none"       # nowhere: findings do not name workloads
