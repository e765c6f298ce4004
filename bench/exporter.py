"""The exporter: /metrics render, watch-event throughput, memory held, and detection latency.

- render: 20,000 Services, ours (pre-rendered per-Service lines, re-joined only when something
  changed) against prometheus_client's own custom Collector + generate_latest on the same numbers.
- events: MODIFIED EndpointSlice events (decode + apply + re-audit of the touched Service) with
  100,000 slices held, against re-auditing the whole cluster per event (a stateless design).
- memory: RSS of a fresh process holding 100,000 slices, ours (compact records) against holding
  the decoded records as they come.
- startup: `sliceaudit exporter` from spawn to /readyz with 100,000 slices, against a fresh
  process that lists and audits the same cluster once (the floor).
- latency: a slice turns `ports: null` in the simulator's API server until the gauge changes on
  /metrics, against one list + audit of the same cluster (the floor of any polling design).
"""

from __future__ import annotations

import contextlib
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

import msgspec

from bench.probe import ROOT, RUNS, announce, interleaved, probe, rss_mb, serve, served
from bench.results import Figure, at_most, figure, ratio_at_most

RENDER_SERVICES = 20_000
HELD_SLICES = 100_000
STARTUP_SLICES = 100_000
ENDPOINTS_PER_SLICE = 3
ROUNDS = 3   # scrapes per render probe (its best is its figure)
EVENTS = 10_000   # MODIFIED events per events probe


# --- synthetic clusters ----------------------------------------------------------------------


def _service(i: int) -> dict:
    return {"metadata": {"namespace": f"ns-{i % 50}", "name": f"svc-{i}", "uid": f"svc-uid-{i}",
                         "resourceVersion": "1"},
            "spec": {"selector": {"app": f"svc-{i}"},
                     "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}}


def _slice(i: int, j: int, broken: bool, rv: str = "1", endpoints: int = ENDPOINTS_PER_SLICE) -> dict:
    base = (i * 4 + j) * endpoints
    return {"metadata": {"namespace": f"ns-{i % 50}", "name": f"svc-{i}-{j}", "uid": f"slice-uid-{i}-{j}",
                         "resourceVersion": rv,
                         "labels": {"kubernetes.io/service-name": f"svc-{i}",
                                    "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                                    "app": f"svc-{i}"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [f"10.{(base + k) >> 16 & 255}.{(base + k) >> 8 & 255}.{(base + k) & 255}"],
                           "conditions": {"ready": True, "serving": True, "terminating": False},
                           "nodeName": f"node-{(base + k) % 300}", "zone": "eu-west-1a",
                           "targetRef": {"kind": "Pod", "namespace": f"ns-{i % 50}", "name": f"svc-{i}-pod-{k}",
                                         "uid": f"pod-uid-{base + k}"}}
                          for k in range(endpoints)],
            "ports": None if broken else [{"name": "http", "port": 8080, "protocol": "TCP"}]}


def cluster_pages(services: int, slices_per_service: int, endpoints: int = ENDPOINTS_PER_SLICE) -> dict[str, bytes]:
    """List responses (bytes) as the API server sends them; every 10th Service has a ports: null slice."""
    svc = [_service(i) for i in range(services)]
    sl = [_slice(i, j, broken=(i % 10 == 0 and j == 0), endpoints=endpoints)
          for i in range(services) for j in range(slices_per_service)]
    return {kind: msgspec.json.encode({"metadata": {"resourceVersion": "1"}, "items": items})
            for kind, items in (("Service", svc), ("EndpointSlice", sl))}


def list_pages(services: int, slices_per_service: int, page_size: int = 500) -> dict[str, list[bytes]]:
    """The same objects as `cluster_pages`, in list pages of `page_size` items as a paginated list sends them."""
    out = {}
    for kind, data in cluster_pages(services, slices_per_service).items():
        items = msgspec.json.decode(data)["items"]
        out[kind] = [msgspec.json.encode({"metadata": {"resourceVersion": "1"}, "items": items[i:i + page_size]})
                     for i in range(0, len(items), page_size)]
    return out


def listed_state(name: str, pages: dict[str, bytes], **kw):
    from exporter.state import ClusterState
    from sliceaudit.api.decode import decode_list

    state = ClusterState(name, max_series=0, **kw)
    for kind in ("Service", "EndpointSlice"):
        state.apply_list(kind, decode_list(kind, pages[kind]).items)
    return state


# --- render ----------------------------------------------------------------------------------


class BaselineCollector:
    """prometheus_client's documented custom-Collector way: fresh families from held numbers per scrape."""

    def __init__(self, cluster: str, values: dict):
        self.cluster = cluster
        self.values = values

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        from exporter.metrics.families import SERVICE_FAMILIES

        families = [GaugeMetricFamily(f.name, f.help, labels=list(f.labels)) for f in SERVICE_FAMILIES]
        for (ns, name), v in self.values.items():
            for family, value in zip(families, v.gauges):
                family.add_metric([self.cluster, ns, name], value)
        yield from families


def _samples(text: str) -> dict:
    from prometheus_client.parser import text_string_to_metric_families

    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples
            if s.name.startswith(("sliceaudit_endpoints", "sliceaudit_null", "sliceaudit_port", "sliceaudit_service"))}


def _render_state():
    """A state of RENDER_SERVICES Services (one slice each) and its prometheus_client baseline."""
    from prometheus_client import CollectorRegistry

    state = listed_state("bench", cluster_pages(RENDER_SERVICES, 1))
    baseline = BaselineCollector("bench", state.values())
    registry = CollectorRegistry(auto_describe=False)
    registry.register(baseline)
    return state, baseline, registry


def probe_render() -> dict:
    """In a fresh process: ROUNDS scrapes, each after 1% of the Services changed, then one unchanged;
    the best of the rounds for ours (changed, unchanged) and for the baseline."""
    from prometheus_client import generate_latest

    from exporter.collector import render
    from sliceaudit.api.decode import WatchEvent, decode_object

    state, baseline, registry = _render_state()
    render([state])
    changed = RENDER_SERVICES // 100
    # Odd Services start healthy; each round turns 1% of them ports: null, or back: every round changes.
    flips = [[WatchEvent("MODIFIED", decode_object("EndpointSlice", _slice(i, 0, broken=r % 2 == 0, rv=str(r + 2))),
                         None, str(r + 2))
              for i in range(1, RENDER_SERVICES, RENDER_SERVICES // changed)] for r in range(ROUNDS)]
    t_changed, t_same, t_base = [], [], []
    for r in range(ROUNDS):
        before = state.values()
        for ev in flips[r]:
            state.apply_event("EndpointSlice", ev)
        assert sum(before[k] != v for k, v in state.values().items()) == changed
        start = time.perf_counter()
        render([state])
        t_changed.append(time.perf_counter() - start)
        start = time.perf_counter()
        render([state])
        t_same.append(time.perf_counter() - start)
        baseline.values = state.values()
        start = time.perf_counter()
        generate_latest(registry)
        t_base.append(time.perf_counter() - start)
    return {"changed": min(t_changed), "same": min(t_same), "baseline": min(t_base)}


def bench_render() -> list[Figure]:
    from prometheus_client import generate_latest

    from exporter.collector import render

    state, _, registry = _render_state()
    ours_text, base_text = render([state]).decode(), generate_latest(registry).decode()
    assert _samples(ours_text) == _samples(base_text), "ours and the baseline must expose the same samples"
    del state, registry
    (runs,) = interleaved("bench.exporter", [("render",)])
    print(f"   render: {RENDER_SERVICES} Services, {len(ours_text) / 1e6:.1f} MB of exposition text; best of "
          f"{ROUNDS} scrapes per process")
    base = [r["baseline"] for r in runs]
    name = "prometheus_client custom Collector"
    return [
        figure(f"exporter: /metrics render, {RENDER_SERVICES // 1000}k Services, 1% changed",
               [r["changed"] for r in runs], "s", name, base),
        figure(f"exporter: /metrics render, {RENDER_SERVICES // 1000}k Services, unchanged",
               [r["same"] for r in runs], "s", name, base),
    ]


# --- events ----------------------------------------------------------------------------------


def _held_pages(directory: str, kind: str) -> list[bytes]:
    return [page.read_bytes() for page in sorted(Path(directory).glob(f"{kind}-*"))]


def probe_events(directory: str) -> dict:
    """In a fresh process: HELD_SLICES slices listed from the page files, then EVENTS MODIFIED events
    applied (ours), and one full re-audit of the same cluster (the stateless baseline)."""
    from exporter.state import ClusterState
    from sliceaudit.api.decode import decode_list, decode_watch_event
    from sliceaudit.api.snapshot import Snapshot
    from sliceaudit.audit.cluster import audit_cluster

    services = HELD_SLICES // 4
    state = ClusterState("bench", max_series=0)
    for kind in ("Service", "EndpointSlice"):
        state.apply_list(kind, [r for page in _held_pages(directory, kind) for r in decode_list(kind, page).items])
    # Spread over the Services, every other one turning a slice ports: null (and back later).
    lines = [msgspec.json.encode({"type": "MODIFIED", "object": _slice(k * 7 % services, 1, broken=k % 2 == 0,
                                                                         rv=str(10 + k))})
             for k in range(EVENTS)]
    start = time.perf_counter()
    for line in lines:
        state.apply_event("EndpointSlice", decode_watch_event("EndpointSlice", line))
    ours = time.perf_counter() - start
    del state, lines
    records = [r for kind in ("Service", "EndpointSlice") for page in _held_pages(directory, kind)
               for r in decode_list(kind, page).items]
    start = time.perf_counter()
    audit_cluster("bench", Snapshot.of(records))
    return {"events_per_s": EVENTS / ours, "full_audit_s": time.perf_counter() - start}


def bench_events(directory: str) -> list[Figure]:
    (runs,) = interleaved("bench.exporter", [("events", directory)])
    print(f"   events: {EVENTS} MODIFIED EndpointSlice events, {HELD_SLICES} slices held")
    return [figure(f"exporter: watch events/s, {HELD_SLICES // 1000}k slices held", [r["events_per_s"] for r in runs],
                   "events/s", "full re-audit of the cluster per event", [1 / r["full_audit_s"] for r in runs],
                   higher_is_better=True)]


# --- memory (fresh processes) ----------------------------------------------------------------


class AsDecoded(NamedTuple):
    """A decoded slice held as it came, with the keys the state files it under."""

    namespace: str
    name: str
    service_name: str | None
    record: object


def hold_records(state_module) -> None:
    """The baseline: the same state, holding each decoded record instead of its compact copy."""
    import exporter.relist as relist_module

    state_module.compact_slice = relist_module.compact_slice = lambda s: s if isinstance(s, AsDecoded) else AsDecoded(
        s.metadata.namespace, s.metadata.name, s.service_name, s)
    state_module.expand_slice = lambda held: held.record
    state_module.compact_service = relist_module.compact_service = lambda s: s


def probe_hold(mode: str, directory: str) -> dict:
    """In a fresh process: list HELD_SLICES slices, relist them once, report the resident memory.

    The list pages are read from files, as from the network, and each page's records are kept the
    way the exporter's watch keeps them (exporter.app.watch_compact). `records` is the same state
    holding the decoded records as they come (no compaction): the baseline.
    """
    import gc

    import exporter.state as state_module
    from sliceaudit.api.decode import decode_list

    if mode == "records":
        hold_records(state_module)
    keep = {"Service": state_module.compact_service, "EndpointSlice": state_module.compact_slice}
    state = state_module.ClusterState("bench", max_series=0)
    for _ in range(2):  # the first list, then a relist after a 410 (same objects)
        for kind in ("Service", "EndpointSlice"):
            items: list = []
            for page in sorted(Path(directory).glob(f"{kind}-*")):
                items.extend(map(keep[kind], decode_list(kind, page.read_bytes()).items))
            state.apply_list(kind, items)
            del items
    gc.collect()
    return {"rss_mb": rss_mb(), "peak_mb": rss_mb("VmHWM"), "services": len(state.values())}


def bench_memory(directory: str) -> list[Figure]:
    ours, plain = interleaved("bench.exporter", [("hold", "compact", directory), ("hold", "records", directory)])
    print(f"   memory: {HELD_SLICES} slices of {ENDPOINTS_PER_SLICE} endpoints; peak during the relist "
          f"{statistics.median(r['peak_mb'] for r in ours):.0f} MB ours, "
          f"{statistics.median(r['peak_mb'] for r in plain):.0f} MB holding records")
    return [figure(f"exporter: RSS with {HELD_SLICES // 1000}k slices held (after a relist)",
                   [r["rss_mb"] for r in ours], "MB", "same state holding decoded records",
                   [r["rss_mb"] for r in plain], targets=(at_most(200), ratio_at_most(0.35)))]


SIZED_SERVICES = 2500


def probe_sizes(endpoints: str) -> dict:
    """Bytes SIZED_SERVICES Services of 4 slices of `endpoints` endpoints take, held by the exporter's
    state and as decoded records, traced (tracemalloc: what is allocated, not what the allocator keeps
    around it); and what a first scrape caches. A fresh process each: the state's interned strings
    must not be left from another run."""
    import gc
    import tracemalloc

    from exporter.collector import render
    from exporter.state import ClusterState
    from sliceaudit.api.decode import decode_list

    pages = cluster_pages(SIZED_SERVICES, 4, int(endpoints))
    gc.collect()
    tracemalloc.start()
    services = decode_list("Service", pages["Service"]).items
    services_decoded = tracemalloc.get_traced_memory()[0]
    slices = decode_list("EndpointSlice", pages["EndpointSlice"]).items
    slices_decoded = tracemalloc.get_traced_memory()[0] - services_decoded
    state = ClusterState("bench", max_series=0)
    before = tracemalloc.get_traced_memory()[0]
    state.apply_list("Service", services)
    services_held = tracemalloc.get_traced_memory()[0] - before
    state.apply_list("EndpointSlice", slices)
    del services, slices
    gc.collect()
    held = tracemalloc.get_traced_memory()[0]   # the state alone: nothing of the records stays referenced
    render([state])
    return {"services_held": services_held, "services_decoded": services_decoded, "slices_held": held - services_held,
            "slices_decoded": slices_decoded, "scrape": tracemalloc.get_traced_memory()[0] - held}


def bench_sizes() -> list[Figure]:
    """Per Service, EndpointSlice and endpoint, from slices of 3 and of 9 endpoints: the difference over
    the extra endpoints is an endpoint's cost, the rest a slice's. One run each: traced bytes do not
    vary from run to run. What docs/exporter.md sizes a replica with."""
    three, nine = probe("bench.exporter", "sizes", "3"), probe("bench.exporter", "sizes", "9")
    slices = SIZED_SERVICES * 4
    per: dict[str, float] = {}
    for form in ("held", "decoded"):
        endpoint = (nine[f"slices_{form}"] - three[f"slices_{form}"]) / (slices * 6)
        per |= {f"{form}_service": three[f"services_{form}"] / SIZED_SERVICES, f"{form}_endpoint": endpoint,
                f"{form}_slice": three[f"slices_{form}"] / slices - 3 * endpoint}
    print(f"   sizes: {SIZED_SERVICES} Services of 4 IPv4 slices, traced with 3 and with 9 endpoints a slice; "
          f"a first scrape caches {three['scrape'] / SIZED_SERVICES:.0f} bytes per Service")
    return [figure(f"exporter: held per {what}", per[f"held_{key}"], "bytes", f"the decoded {what} record",
                   per[f"decoded_{key}"])
            for what, key in (("Service", "service"), ("EndpointSlice (endpoints apart)", "slice"),
                              ("endpoint (IPv4)", "endpoint"))]


# --- start to /readyz (fresh processes) -------------------------------------------------------


def probe_floor(config_path: str) -> dict:
    """One list + audit of the cluster, as `sliceaudit scan --context` runs it (no root cause)."""
    from sliceaudit.kube.clusters import kubeconfig_clusters
    from sliceaudit.live.owners import Owners
    from sliceaudit.live.scan import cluster_failure, scan_cluster

    report = scan_cluster(kubeconfig_clusters(config_path)[0], owners=Owners.NONE)
    if (failure := cluster_failure(report)) is not None:
        raise RuntimeError(f"the benchmark cluster could not be audited: {failure}")
    return {"services": len(report.services), "peak_mb": rss_mb("VmHWM")}


def _spawned(argv: list[str], until, settle: float = 0.0) -> tuple[float, dict]:
    """Seconds from spawning `argv` until `until(process)` is true, and its memory `settle` s later."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while not until(proc):
            if proc.poll() is not None and proc.returncode != 0:
                raise RuntimeError(f"{' '.join(argv[1:3])} failed: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.01)
        seconds = time.perf_counter() - start
        time.sleep(settle)
        memory = {}
        with contextlib.suppress(OSError), open(f"/proc/{proc.pid}/status") as f:
            memory = {k: int(v.split()[0]) / 1024 for k, v in (line.split(":", 1) for line in f)
                      if k in ("VmRSS", "VmHWM")}
        return seconds, memory
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.communicate(timeout=30)


def _ready(url: str):
    def check(proc) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False
    return check


def serve_startup(config_path: str) -> dict:
    """STARTUP_SLICES slices (a tenth of the Services broken) served until stdin closes; the kubeconfig
    written to `config_path`."""
    from sliceaudit.sim.apiserver.server import ApiServer
    from sliceaudit.sim.fleetrun import kubeconfig_for

    services = STARTUP_SLICES // 4
    objects = {"Service": [_service(i) for i in range(services)],
               "EndpointSlice": [_slice(i, j, broken=(i % 10 == 0 and j == 0))
                                 for i in range(services) for j in range(4)]}
    with ApiServer(objects, name="bench") as server:
        del objects
        Path(config_path).write_text(json.dumps(kubeconfig_for({"bench": server})))
        return announce({})


def bench_startup() -> list[Figure]:
    """`sliceaudit exporter` from spawn to /readyz 200, against a fresh process listing and auditing once."""
    import socket
    import tempfile

    ours: list[float] = []
    floor: list[float] = []
    memory: list[dict] = []
    floor_memory: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "kubeconfig.json"
        with served("bench.exporter", "serve-startup", str(config)):
            exe = str(Path(sys.executable).with_name("sliceaudit"))
            for _ in range(RUNS):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", 0))
                    port = sock.getsockname()[1]
                seconds, mem = _spawned([exe, "exporter", "--kubeconfig", str(config), "--listen",
                                         f"127.0.0.1:{port}", "--log-level", "warning"],
                                        _ready(f"http://127.0.0.1:{port}/readyz"), settle=2.0)
                ours.append(seconds)
                memory.append(mem)
                start = time.perf_counter()
                floor_memory.append(probe("bench.exporter", "floor", str(config))["peak_mb"])
                floor.append(time.perf_counter() - start)
    print(f"   startup: {STARTUP_SLICES} slices of {ENDPOINTS_PER_SLICE} endpoints over HTTPS; the exporter "
          f"process peaks at {statistics.median(m.get('VmHWM', 0) for m in memory):.0f} MB")
    return [figure(f"exporter: start -> /readyz, {STARTUP_SLICES // 1000}k slices", ours, "s",
                   "a fresh process: one list + audit (the floor)", floor, targets=(ratio_at_most(1.3),)),
            figure(f"exporter: process RSS at /readyz + 2 s, {STARTUP_SLICES // 1000}k slices",
                   [m.get("VmRSS", 0) for m in memory], "MB", "peak of that list + audit process",
                   floor_memory)]


# --- latency ---------------------------------------------------------------------------------


def probe_latency(cycles: str = "10") -> dict:
    """In a fresh process: the median of `cycles` slices turned ports: null until the gauge shows it,
    and of 5 list + audits of the same cluster (the polling floor)."""
    from exporter.app import Exporter
    from exporter.config import ExporterConfig, Listen
    from sliceaudit.audit.cluster import audit_cluster
    from sliceaudit.kube.clusters import ClusterAccess, connect
    from sliceaudit.live.fetch import fetch_snapshot
    from sliceaudit.live.owners import Owners
    from sliceaudit.sim.clusterserver import ClusterServer
    from sliceaudit.sim.fleetrun import kubeconfig_for
    from sliceaudit.sim.world.fleet import generate_cluster

    cluster = generate_cluster("bench", services=300, seed=3, broken_share=0.0)
    with ClusterServer(cluster) as server:
        access = ClusterAccess(name="bench", source="kubeconfig", kubeconfig=kubeconfig_for({"bench": server}),
                               context="bench")
        by_service: dict[tuple[str, str], dict] = {}  # one slice per Service: cycles never overlap
        for s in cluster.objects["EndpointSlice"]:
            name = (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name")
            if s.get("ports") and s.get("endpoints") and name:
                by_service.setdefault((s["metadata"]["namespace"], name), s)
        exp = Exporter(ExporterConfig(listen=Listen("127.0.0.1", 0)), [access])
        with exp:
            while not exp.states[0].synced:
                threading.Event().wait(0.01)

            def wait_for(gauge: str, broken: bool) -> None:
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    with urllib.request.urlopen(exp.url + "/metrics") as resp:
                        body = resp.read().decode()
                    at = body.find(gauge)
                    if at >= 0 and (body[at + len(gauge)] != "0") == broken:
                        return
                raise RuntimeError(f"{gauge} did not change within 10 s")

            times = []
            for (ns, svc), obj in list(by_service.items())[:int(cycles)]:
                gauge = f'sliceaudit_null_port_endpoints{{cluster="bench",namespace="{ns}",service="{svc}"}} '
                broken = json.loads(json.dumps(obj))
                broken["ports"] = None
                start = time.perf_counter()
                server.apply("EndpointSlice", broken)
                wait_for(gauge, broken=True)
                times.append(time.perf_counter() - start)
                server.apply("EndpointSlice", obj)  # fixed again before the next cycle
                wait_for(gauge, broken=False)
        with connect(access) as client:
            polls = []
            for _ in range(5):
                start = time.perf_counter()
                audit_cluster("bench", fetch_snapshot(client, owners=Owners.NONE))
                polls.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times), "poll_s": statistics.median(polls), "cycles": len(times),
            "slices": len(cluster.objects["EndpointSlice"])}


def bench_latency() -> list[Figure]:
    (runs,) = interleaved("bench.exporter", [("latency",)])
    print(f"   latency: {runs[0]['cycles']} slices turned ports: null per process (their median), "
          f"{runs[0]['slices']} slices")
    return [figure("exporter: ports: null in the API -> gauge on /metrics", [r["seconds"] for r in runs], "s",
                   "one list + audit of the cluster (polling floor)", [r["poll_s"] for r in runs])]


def run() -> list[Figure]:
    import tempfile

    figures = bench_render()
    with tempfile.TemporaryDirectory(prefix="sliceaudit-bench-") as directory:
        for kind, pages in list_pages(HELD_SLICES // 4, 4).items():   # one list of HELD_SLICES, as files
            for i, data in enumerate(pages):
                (Path(directory) / f"{kind}-{i:05d}").write_bytes(data)
        figures += bench_events(directory) + bench_memory(directory)
    return figures + bench_sizes() + bench_startup() + bench_latency()


if __name__ == "__main__":
    serve({"serve-startup": serve_startup, "hold": probe_hold, "floor": probe_floor, "render": probe_render,
           "events": probe_events, "sizes": probe_sizes, "latency": probe_latency})
