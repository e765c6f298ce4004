"""The report's terms, defined once: schema id, Service states in severity order, finding codes.

Pure names, no logic, nothing of sliceaudit imported: the simulator's ground truth may read them
(it keeps its own algorithm). Values are strings, so JSON, tables and SARIF read the same as
literals would; docs/report.schema.json lists them too, and tests/audit/test_terms.py keeps both
in step. Consumer effect kinds stay in consumers/model.py (EffectKind): the consumer models may
not import the audit.
"""

from __future__ import annotations

from enum import StrEnum

SCHEMA = "sliceaudit.report/v1"


class Status(StrEnum):
    """A Service's state; declared in rising severity (the order `--fail-on` and sorting use)."""

    OK = "ok"
    DEGRADED = "degraded"
    OUTAGE = "outage"


STATUSES: tuple[Status, ...] = tuple(Status)   # in rising severity


class Code(StrEnum):
    """A Service finding's stable code."""

    NULL_PORTS = "NULL_PORTS"                  # endpoints in slices with ports null, absent or empty
    PORT_UNSET = "PORT_UNSET"                  # ... whose matching entry has no number
    PORT_ZERO = "PORT_ZERO"                    # ... whose matching entry is 0
    PORT_MISSING = "PORT_MISSING"              # ... that list other ports but not this one
    TERMINATING_ONLY = "TERMINATING_ONLY"      # a port served only by kube-proxy's terminating fallback
    PORT_INCONSISTENT = "PORT_INCONSISTENT"    # informational: a port's backends use several numbers
    FQDN_SLICE = "FQDN_SLICE"                  # informational: FQDN slices, counted nowhere


# Endpoints that are no backend of some port, by what their slices say of it.
FAULT_CODES: tuple[Code, ...] = (Code.NULL_PORTS, Code.PORT_UNSET, Code.PORT_ZERO, Code.PORT_MISSING)
# What a Service's counts add up: null_port_endpoints and port_zero_endpoints (number-less and 0 together).
NULL_PORT_CODES: frozenset[Code] = frozenset({Code.NULL_PORTS})
PORT_ZERO_CODES: frozenset[Code] = frozenset({Code.PORT_UNSET, Code.PORT_ZERO})


class ConsumerCode(StrEnum):
    """A consumer's cluster-wide finding: it stops updating every route it serves."""

    CONSUMER_PANIC = "CONSUMER_PANIC"
    CONSUMER_CONFIG_REJECTED = "CONSUMER_CONFIG_REJECTED"
