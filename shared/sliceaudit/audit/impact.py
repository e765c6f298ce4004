"""Impact: where a consumer in use routes a Service differently from kube-proxy, and what it costs.

Every consumer present is assumed to route every Service (the audit does not read Ingresses or
routes): an SRE reads the impact of a Service no proxy fronts as "would break if it did". Shares
assume the consumer balances evenly over what it routes to (round robin: 1 of 3 backends at
`ip:0` is a third of its requests); a port it routes to nothing while kube-proxy has backends
fails every request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sliceaudit.api.records import EndpointSlice, Service
from sliceaudit.audit.report import ConsumerFinding, ConsumerReport, EffectReport, Impact, PortImpact, ServiceReport
from sliceaudit.audit.terms import ConsumerCode
from sliceaudit.consumers.detect import Present
from sliceaudit.consumers.model import Behaviour, EffectKind, Outcome
from sliceaudit.consumers.reading import in_list_order
from sliceaudit.consumers.registry import REFERENCE
from sliceaudit.consumers.uniform import agreeing, uniform_shape

UNKNOWN = "unknown"
CLUSTER_CODES = {EffectKind.PANIC: ConsumerCode.CONSUMER_PANIC,
                 EffectKind.CONFIG_REJECTED: ConsumerCode.CONSUMER_CONFIG_REJECTED}


def reference(service: Service, slices: Sequence[EndpointSlice]) -> list[tuple[str, ...]]:
    """kube-proxy's backends per Service port (the audit's report has them already: pass those)."""
    return [p.backends for p in REFERENCE.behaviours[0].model(service, slices).ports]


def _port_impacts(outcome: Outcome, ref: Sequence[Sequence[str]]) -> list[PortImpact]:
    out = []
    for mine, theirs in zip(outcome.ports, ref):
        if len(mine.backends) == len(theirs) and mine.backends == tuple(theirs):
            continue
        good = set(theirs)
        wrong = [b for b in mine.backends if b not in good]
        missing = sorted(good - set(mine.backends))
        if mine.backends:
            share = len(wrong) / len(mine.backends)
        else:
            share = 1.0 if theirs else 0.0
        out.append(PortImpact(mine.name, mine.port, list(mine.backends), wrong, missing, round(share, 4)))
    return out


def _message(service: Service, present: Present, behaviour: Behaviour, ports: list[PortImpact],
             outcome: Outcome) -> str:
    who = f"{present.consumer.title} {present.version or '(version unknown)'}"
    if present.version is None or len(present.behaviours) > 1:
        who += f", if {behaviour.label}"
    parts = []
    for e in outcome.effects:
        parts.append(e.detail)
    for p in ports:
        label = repr(p.name) if p.name else "(unnamed)"
        if not p.backends:
            parts.append(f"routes port {label} to nothing (kube-proxy: {len(p.missing)} "
                         f"backend{'s' if len(p.missing) != 1 else ''})")
        elif p.wrong:
            zero = sum(1 for b in p.wrong if b.endswith(":0"))
            what = f"{len(p.wrong)} of {len(p.backends)} backend{'s' if len(p.backends) != 1 else ''}"
            if zero:
                what += f" ({zero} at TCP port 0)"
            parts.append(f"dials {what} on port {label} that kube-proxy does not use: "
                         f"{round(p.share * 100)}% of its requests")
        elif p.missing:
            parts.append(f"leaves out {len(p.missing)} of kube-proxy's backends on port {label}")
    return f"{who}: " + "; ".join(parts) + "."


def service_impact(service: Service, slices: Sequence[EndpointSlice], consumers: Iterable[Present],
                   ref: Sequence[Sequence[str]] | None = None) -> list[Impact]:
    """Per consumer present (and each behaviour its version allows), where it differs from kube-proxy;
    `ref` is kube-proxy's sorted backends per Service port (the report's), computed when absent."""
    consumers = list(consumers)
    if not consumers or not service.ports:
        return []
    # Consumers that read an informer cache see the slices in no set order, and a model names the first
    # slice it stumbles on: every model reads them in the API server's list order, so a report never
    # depends on the order a file, a list or a watch handed them over (the CLI and the exporter agree).
    slices = in_list_order(slices)
    shape = uniform_shape(slices)
    plan = [(present, b) for present in consumers if present.consumer is not REFERENCE for b in present.behaviours]
    if shape is not None:
        # A healthy controller-made Service: judged on its one-endpoint stand-in (consumers/uniform.py).
        plan = [pb for pb, agrees in zip(plan, agreeing([b for _, b in plan], service, shape)) if not agrees]
    out = []
    for present, behaviour in plan:
        if ref is None:
            ref = reference(service, slices)
        outcome = behaviour.model(service, slices)
        if not outcome.reads_slices:
            continue
        ports = [] if outcome.cluster_wide else _port_impacts(outcome, ref)
        if not ports and not outcome.effects:
            continue
        effects = [EffectReport(e.kind.value, e.detail, e.port) for e in outcome.effects]
        out.append(Impact(present.consumer.name, str(present.version or UNKNOWN), behaviour.label,
                          _message(service, present, behaviour, ports, outcome), ports, effects))
    return out


def consumer_reports(consumers: Iterable[Present], services: Iterable[ServiceReport]) -> list[ConsumerReport]:
    """The cluster's consumers, each with its cluster-wide findings (panic, rejected configuration)."""
    services = list(services)
    out = []
    for present in consumers:
        hits: dict[tuple[str, str], list[str]] = {}
        for svc in services:
            for impact in svc.impact:
                if impact.consumer != present.consumer.name or impact.version != str(present.version or UNKNOWN):
                    continue
                for e in impact.effects:
                    code = CLUSTER_CODES.get(e.kind)
                    if code:
                        hits.setdefault((code, impact.behaviour), []).append(f"{svc.namespace}/{svc.name}")
        findings = []
        for (code, behaviour), names in sorted(hits.items()):
            names = sorted(set(names))
            what = "panics on" if code == ConsumerCode.CONSUMER_PANIC else "rejects its configuration for"
            shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
            findings.append(ConsumerFinding(
                code, behaviour,
                f"{present.consumer.title} {present.version or '(version unknown)'} ({behaviour}) {what} the "
                f"slices of {len(names)} Service{'s' if len(names) != 1 else ''} ({shown}): no route it serves in "
                f"this cluster is updated until they are fixed.",
                names))
        out.append(ConsumerReport(present.consumer.name, str(present.version or UNKNOWN),
                                  [b.label for b in present.behaviours], list(present.found_in), findings))
    return out
