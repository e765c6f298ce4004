"""Classification of one Service: counts, status and findings from its port resolutions."""

from __future__ import annotations

from collections.abc import Sequence

from sliceaudit.core.owners import Owners
from sliceaudit.core.records import Endpoint, EndpointSlice, Service
from sliceaudit.core.report import Finding, PortReport, ServiceReport
from sliceaudit.core.resolve import PortResolution, State, resolve_port, serving_addresses
from sliceaudit.core.rootcause import advice, foreign_slices, lacking_workloads, selector_workloads

_WHAT = {
    "NULL_PORTS": "in EndpointSlices with ports: null: they are backends of no port, and proxies "
                  "that read them as address:0 (Skipper v0.21.146) dial TCP port 0.",
    "PORT_UNSET": "in EndpointSlices whose entry for port {ports} has no number: naive consumers "
                  "read it as port 0.",
    "PORT_ZERO": "in EndpointSlices that publish port {ports} as 0: consumers dial TCP port 0.",
    "PORT_MISSING": "in EndpointSlices that list other ports but not {ports}: they serve no traffic "
                    "on it.",
}


_CODE = {State.NULL: "NULL_PORTS", State.UNSET: "PORT_UNSET", State.ZERO: "PORT_ZERO",
         State.MISSING: "PORT_MISSING"}


def _port_label(name: str) -> str:
    return repr(name) if name else "(unnamed)"


def classify(service: Service, slices: Sequence[EndpointSlice], owners: Owners) -> ServiceReport:
    serving = serving_addresses(slices)
    ports = service.ports
    resolutions = [resolve_port(p, slices, serving) for p in ports]
    port_reports = [PortReport(r.port.name or "", r.port.port, r.port.protocol or "TCP", r.backends())
                    for r in resolutions]
    if not ports:
        # Headless, DNS only: `ports: null` slices are what such a Service expects.
        return ServiceReport(service.metadata.namespace, service.metadata.name, "ok", len(serving), 0, 0, [], [])

    findings = _findings(service, slices, resolutions, owners)
    counts = {code: set() for code in ("NULL_PORTS", "PORT_UNSET", "PORT_ZERO", "PORT_MISSING")}
    for f in findings:
        counts[f.code].update(f.addresses)

    if serving and any(not pr.backends for pr in port_reports):
        status = "outage"
    elif findings:
        status = "degraded"
    else:
        status = "ok"
    return ServiceReport(service.metadata.namespace, service.metadata.name, status, len(serving),
                         len(counts["NULL_PORTS"]), len(counts["PORT_UNSET"] | counts["PORT_ZERO"]),
                         port_reports, findings)


def _findings(service: Service, slices: Sequence[EndpointSlice], resolutions: list[PortResolution],
              owners: Owners) -> list[Finding]:
    # code -> (addresses, slice names, Service ports involved); NULL/UNSET/ZERO are one finding
    # across ports, PORT_MISSING is one finding per Service port.
    groups: dict[tuple[str, str], tuple[set[str], set[str], list]] = {}
    for r in resolutions:
        for address, v in r.verdicts.items():
            if v.state is State.BACKEND:
                continue
            code = _CODE[v.state]
            key = (code, r.port.name or "" if code == "PORT_MISSING" else "")
            group = groups.get(key)
            if group is None:
                group = groups[key] = (set(), set(), [])
            group[0].add(address)
            group[1].add(v.slice)
            if r.port not in group[2]:
                group[2].append(r.port)
    if not groups:
        return []

    endpoints: dict[str, Endpoint] = {}
    for s in slices:
        for e in s.endpoints or ():
            if e.address is not None:
                endpoints.setdefault(e.address, e)
    spanning = selector_workloads(service, owners)
    by_name = {s.metadata.name: s for s in slices}
    out = []
    for (code, _), (addresses, slice_names, ports) in sorted(groups.items()):
        address_list = sorted(addresses)
        port_names = [p.name or "" for p in ports]
        causes = lacking_workloads(service, ports, address_list, endpoints, owners)
        foreign = foreign_slices(by_name[n] for n in slice_names)
        what = _WHAT[code].format(ports=", ".join(_port_label(n) for n in port_names))
        n = len(address_list)
        message = (f"{n} endpoint{'s' if n != 1 else ''} of Service {service.metadata.namespace}/"
                   f"{service.metadata.name} {'is' if n == 1 else 'are'} {what} "
                   + advice(service, ports, causes, spanning, foreign, owners.known)).strip()
        out.append(Finding(code, message, sorted(slice_names), n, address_list, port_names, causes,
                           [str(w) for w in spanning] if len(spanning) > 1 else []))
    return out
