"""Classification of one Service: counts, status and findings from its port resolutions."""

from __future__ import annotations

from collections.abc import Sequence

from sliceaudit.api.records import EndpointSlice, Service, ServicePort
from sliceaudit.audit.owners import OwnerIndex
from sliceaudit.audit.report import Finding, PortReport, ServiceReport
from sliceaudit.audit.rootcause import advice, foreign_slices, lacking_workloads, selector_workloads
from sliceaudit.audit.terms import FAULT_CODES, NULL_PORT_CODES, PORT_ZERO_CODES, Code, Status
from sliceaudit.consumers.kube_proxy import PortResolution, Resolution, State, port_index, resolve, verdicts

_WHAT = {
    Code.NULL_PORTS: "in EndpointSlices with ports: null: they are backends of no port, and proxies "
                  "that read them as address:0 (Skipper v0.21.146) dial TCP port 0.",
    Code.PORT_UNSET: "in EndpointSlices whose entry for port {ports} has no number: naive consumers "
                  "read it as port 0.",
    Code.PORT_ZERO: "in EndpointSlices that publish port {ports} as 0: consumers dial TCP port 0.",
    Code.PORT_MISSING: "in EndpointSlices that list other ports but not {ports}: they serve no traffic "
                    "on it.",
}

_CODE = {State.NULL: Code.NULL_PORTS, State.UNSET: Code.PORT_UNSET, State.ZERO: Code.PORT_ZERO,
         State.MISSING: Code.PORT_MISSING}


def _port_label(name: str) -> str:
    return repr(name) if name else "(unnamed)"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def classify(service: Service, slices: Sequence[EndpointSlice], owners: OwnerIndex) -> ServiceReport:
    ports = service.ports
    resolution = resolve(ports, slices)
    port_reports = [PortReport(r.port.name or "", r.port.port, r.port.protocol or "TCP", r.backend_labels())
                    for r in resolution.ports]
    endpoints = len(resolution.endpoints)
    fqdn = _fqdn_finding(service, resolution.fqdn)
    if not ports:
        # Headless, DNS only: `ports: null` slices are what such a Service expects.
        return ServiceReport(service.metadata.namespace, service.metadata.name, Status.OK, endpoints, 0, 0, [], fqdn)

    findings = (_fault_findings(service, resolution, owners) + _terminating_finding(service, resolution)
                + _inconsistent_finding(service, resolution) + fqdn)
    counted: dict[str, set[str]] = {code: set() for code in FAULT_CODES}
    for f in findings:
        if f.code in counted:
            counted[f.code].update(f.addresses)
    null = set().union(*(counted[code] for code in NULL_PORT_CODES))
    zero = set().union(*(counted[code] for code in PORT_ZERO_CODES))

    if endpoints and any(not r.backends for r in resolution.ports):
        status = Status.OUTAGE
    elif any(r.unserved or r.terminating_only for r in resolution.ports):
        status = Status.DEGRADED
    else:
        status = Status.OK
    return ServiceReport(service.metadata.namespace, service.metadata.name, status, endpoints,
                         len(null), len(zero),
                         port_reports, findings)


def _fault_findings(service: Service, resolution: Resolution, owners: OwnerIndex) -> list[Finding]:
    # (code, port name) -> (addresses, slice names, Service ports involved by index); NULL, UNSET
    # and ZERO are one finding across ports, PORT_MISSING one per Service port. Sets and dicts
    # keep the grouping linear in ports x endpoints.
    # Ports with the same column share their fault tables: each table is merged into a group once.
    groups: dict[tuple[str, str], tuple[set[str], set[str], dict[int, ServicePort], set[int]]] = {}
    for i, r in enumerate(resolution.ports):
        port_name = r.port.name or ""
        for state, table in r.faults.items():
            key = (_CODE[state], port_name if state is State.MISSING else "")
            group = groups.get(key)
            if group is None:
                group = groups[key] = (set(), set(), {}, set())
            if id(table) not in group[3]:
                group[3].add(id(table))
                group[0].update(table)
                group[1].update(table.values())
            group[2][i] = r.port
    if not groups:
        return []

    spanning = selector_workloads(service, owners)
    records = resolution.endpoint_records()
    by_name = {s.metadata.name: s for s in resolution.slices}
    out = []
    for (code, _), (addresses, slice_names, by_index, _) in sorted(groups.items()):
        address_list = sorted(addresses)
        involved = [by_index[i] for i in sorted(by_index)]
        port_names = [p.name or "" for p in involved]
        causes = lacking_workloads(service, involved, address_list, records, owners)
        foreign = foreign_slices(by_name[n] for n in slice_names)
        what = _WHAT[code].format(ports=", ".join(_port_label(n) for n in port_names))
        n = len(address_list)
        message = (f"{_plural(n, 'endpoint')} of Service {service.metadata.namespace}/"
                   f"{service.metadata.name} {'is' if n == 1 else 'are'} {what} "
                   + advice(service, involved, causes, spanning, foreign, owners.known)).strip()
        out.append(Finding(code, message, sorted(slice_names), n, address_list, port_names, causes,
                           [str(w) for w in spanning] if len(spanning) > 1 else []))
    return out


def _terminating_finding(service: Service, resolution: Resolution) -> list[Finding]:
    """Ports kube-proxy serves only through its graceful-termination fallback: an outage in waiting."""
    served: list[PortResolution] = [r for r in resolution.ports if r.terminating_only]
    if not served:
        return []
    addresses = sorted(set().union(*(r.served() for r in served)))
    slice_names = _fallback_slices(service, resolution)
    port_names = [r.port.name or "" for r in served]
    faulty = any(r.unserved for r in served)
    n = len(addresses)
    one = len(port_names) == 1
    labels = ", ".join(_port_label(p) for p in port_names)
    message = (f"{'Port' if one else 'Ports'} {labels} of Service {service.metadata.namespace}/"
               f"{service.metadata.name} {'has' if one else 'have'} no ready endpoint: kube-proxy sends "
               f"{'its' if one else 'their'} traffic to {_plural(n, 'terminating endpoint')} that still "
               f"{'serves' if n == 1 else 'serve'}, and it becomes an outage as soon as "
               f"{'that pod exits' if n == 1 else 'those pods exit'} (at the end of the grace period). ")
    if faulty:
        message += ("Ready pods exist but serve no traffic on it: fix the other findings of this Service "
                    "before the old pods are gone, or roll back the change that left them out.")
    else:
        message += ("No ready pod serves it: find out why the new pods are not ready (readiness probe, image, "
                    "resources), or roll back; scale the workload up if it is being scaled to zero.")
    return [Finding(Code.TERMINATING_ONLY, message, slice_names, n, addresses, port_names)]


def _fallback_slices(service: Service, resolution: Resolution) -> list[str]:
    """The slices that list a fallback backend at its ip:port."""
    ports = service.ports
    index, n = port_index(ports), len(ports)
    wanted = {i: r.backends for i, r in enumerate(resolution.ports) if r.terminating_only}
    names = set()
    for s in resolution.slices:
        states, numbers = verdicts(s, index, n)
        for i, backends in wanted.items():
            addresses = backends.get(numbers[i]) if states[i] is State.BACKEND else None
            if addresses and any(e.addresses and e.addresses[0] in addresses for e in s.endpoints or ()):
                names.add(s.metadata.name)
    return sorted(names)


def _inconsistent_finding(service: Service, resolution: Resolution) -> list[Finding]:
    """Ports whose backends use more than one number: fine for kube-proxy, not for every consumer.

    Informational (status unchanged): a rollout that changes the container port, or two workloads
    listening on different numbers. Skipper applies the last slice's ports to every endpoint
    (dataclients/kubernetes/clusterclient.go, collectReadyEndpoints) and dials the rest at the wrong
    number; consumers/skipper.py models it."""
    mixed = [r for r in resolution.ports if len(r.backends) > 1]
    if not mixed:
        return []
    parts, slice_names, addresses = [], set(), set()
    for r in mixed:
        key = r.port.key
        by_number: dict[int, list[str]] = {}   # number -> the slices that list a backend at it
        served = {n: set(addresses) for n, addresses in r.backends.items()}
        for s in resolution.slices:
            number = next((p.port for p in s.ports or () if p.key == key), None)
            if number in served and any(e.addresses and e.addresses[0] in served[number] for e in s.endpoints or ()):
                by_number.setdefault(number, []).append(s.metadata.name)
        numbers = ", ".join(f"{n} ({_plural(len(r.backends[n]), 'endpoint')}, "
                            f"{'slice' if len(by_number.get(n, ())) == 1 else 'slices'} "
                            f"{', '.join(by_number.get(n, ()))})" for n in sorted(r.backends))
        parts.append(f"port {_port_label(r.port.name or '')} at {numbers}")
        slice_names.update(name for names in by_number.values() for name in names)
        addresses |= r.served()
    message = (f"Service {service.metadata.namespace}/{service.metadata.name} is served on more than one number: "
               f"{'; '.join(parts)}. kube-proxy dials each endpoint at its own slice's number, but a consumer that "
               f"applies one slice's ports to every endpoint (Skipper) dials the others at the wrong one: finish "
               f"the rollout, or give the workloads the same container port.")
    return [Finding(Code.PORT_INCONSISTENT, message, sorted(slice_names), len(addresses), sorted(addresses),
                    [r.port.name or "" for r in mixed])]


def _fqdn_finding(service: Service, fqdn: Sequence[EndpointSlice]) -> list[Finding]:
    """FQDN slices: informational, counted nowhere (kube-proxy never reads them)."""
    if not fqdn:
        return []
    addresses = sorted({e.addresses[0] for s in fqdn for e in s.endpoints or () if e.addresses and e.ready})
    names = sorted(s.metadata.name for s in fqdn)
    message = (f"{_plural(len(names), 'EndpointSlice')} of Service {service.metadata.namespace}/"
               f"{service.metadata.name} {'has' if len(names) == 1 else 'have'} addressType FQDN: kube-proxy never "
               "reads them, so the Service's cluster IP sends no traffic to those names, and they count for "
               "nothing here. Only consumers that resolve names themselves use them; for a DNS alias use a "
               "Service of type ExternalName, for proxied traffic publish IPv4 or IPv6 slices.")
    return [Finding(Code.FQDN_SLICE, message, names, len(addresses), addresses)]
