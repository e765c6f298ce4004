"""The report: plain data in the BRIEF's JSON schema (sliceaudit.report/v1)."""

from __future__ import annotations

import msgspec

from sliceaudit.audit.terms import SCHEMA, STATUSES


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


class EffectReport(msgspec.Struct, omit_defaults=True):
    """A consumer's effect beyond routing: panic, config_rejected, unix_socket, endpoint_dropped, mis_mapped_port."""

    kind: str
    detail: str
    port: str | None = None   # the Service port's name; absent for the whole Service


class PortImpact(msgspec.Struct, omit_defaults=True):
    """One Service port as a consumer routes it, where that differs from kube-proxy."""

    name: str
    port: int
    backends: list[str]        # what the consumer routes to
    wrong: list[str] = []      # of those, what kube-proxy does not use for this port (ip:0, mis-mapped numbers)
    missing: list[str] = []    # kube-proxy's backends the consumer leaves out
    share: float = 0.0         # share of the consumer's requests on this port that go wrong (or 1: none routed)


class Impact(msgspec.Struct, omit_defaults=True):
    consumer: str              # the `--consumer` name
    version: str               # as found ("unknown" for a digest or latest)
    behaviour: str             # the modelled version range this impact holds for
    message: str
    ports: list[PortImpact] = []
    effects: list[EffectReport] = []


class ServiceReport(msgspec.Struct):
    namespace: str
    name: str
    status: str
    endpoints: int
    null_port_endpoints: int
    port_zero_endpoints: int
    ports: list[PortReport]
    findings: list[Finding]
    impact: list[Impact] = []   # per consumer in use, where it differs from kube-proxy


class ConsumerFinding(msgspec.Struct):
    """An effect that reaches beyond one Service: the consumer stops updating every route it serves."""

    code: str                  # CONSUMER_PANIC, CONSUMER_CONFIG_REJECTED
    behaviour: str
    message: str
    services: list[str]        # namespace/name of the Services whose slices cause it


class ConsumerReport(msgspec.Struct, omit_defaults=True):
    name: str
    version: str
    behaviours: list[str]      # the modelled behaviours this version may have (several when unknown)
    found_in: list[str]        # "Deployment ns/name (image)", or "--consumer"
    findings: list[ConsumerFinding] = []


class ClusterReport(msgspec.Struct):
    name: str
    services: list[ServiceReport]
    errors: list[ErrorEntry] = []
    consumers: list[ConsumerReport] = []   # declared with --consumer, else detected from workload images


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
