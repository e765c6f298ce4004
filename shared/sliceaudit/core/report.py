"""The report: plain data in the BRIEF's JSON schema (sliceaudit.report/v1)."""

from __future__ import annotations

import msgspec

SCHEMA = "sliceaudit.report/v1"
STATUSES = ("ok", "degraded", "outage")   # in rising severity


class ErrorEntry(msgspec.Struct, frozen=True):
    object: str
    message: str


class PortReport(msgspec.Struct):
    name: str
    port: int
    protocol: str
    backends: list[str]


class WorkloadCause(msgspec.Struct, omit_defaults=True):
    """A workload whose pods are among a finding's endpoints, and the ports its pods lack."""

    kind: str
    namespace: str
    name: str
    pods: int
    lacks: list[str] = []


class Finding(msgspec.Struct, omit_defaults=True):
    code: str
    message: str
    slices: list[str]
    endpoints: int
    addresses: list[str]
    ports: list[str] = []                # Service port names involved ("" for an unnamed port)
    workloads: list[WorkloadCause] = []
    selector_workloads: list[str] = []   # set when the selector matches pods of several workloads


class ServiceReport(msgspec.Struct):
    namespace: str
    name: str
    status: str
    endpoints: int
    null_port_endpoints: int
    port_zero_endpoints: int
    ports: list[PortReport]
    findings: list[Finding]


class ClusterReport(msgspec.Struct):
    name: str
    services: list[ServiceReport]
    errors: list[ErrorEntry] = []


class Report(msgspec.Struct):
    schema: str = SCHEMA
    clusters: list[ClusterReport] = []
    errors: list[ErrorEntry] = []


def severity(status: str) -> int:
    return STATUSES.index(status)


def worst_status(report: Report) -> str | None:
    statuses = [s.status for c in report.clusters for s in c.services]
    return max(statuses, key=severity) if statuses else None


def encode_report(report: Report) -> bytes:
    return msgspec.json.encode(report)


def decode_report(data: bytes) -> Report:
    return msgspec.json.decode(data, type=Report)
