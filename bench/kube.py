"""Kubernetes access: list + audit of a 20,000-slice cluster over HTTPS, and the watch loop.

List: each path runs in a fresh subprocess (time and peak RSS of that process alone) against one
simulated API server: ours (raw pages decoded into records, then audited) with owners=none, so
it reads what the others read, and with root cause (owners=needed, owners=all); (a) the
kubernetes client's model path (the same paginated lists into V1Service/V1EndpointSlice models);
the floor: the transfer alone (the same pages fetched, not decoded) plus decode_list + audit of
those page bytes from memory. Watch: list-sized MODIFIED events replayed from the server's
history, read by our loop and by `kubernetes.watch.Watch().stream` in model mode, each in a
process of its own. Targets (reported, not asserted): >= 12x faster than models, <= 1.5x
transfer + floor, peak RSS <= 150 MB, watch >= 15x.
"""
from __future__ import annotations

import json
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.results import Figure, figure

SLICES = 20_000
ENDPOINTS = 25
PAGE = 500
WATCH_EVENTS = 3000
ROOT = Path(__file__).resolve().parents[1]


# --- probes: each runs in a fresh process and prints one JSON line -------------------------------


def _client(config_path: str):
    from sliceaudit.kube.clusters import connect, kubeconfig_clusters

    return connect(kubeconfig_clusters(config_path)[0])


def _rss_mb() -> float:
    """This process's peak resident memory. Not ru_maxrss: Linux carries that over from the forking
    parent (here the simulator, holding the whole cluster) into the child."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def probe_ours(config_path: str, owners: str = "needed") -> dict:
    from sliceaudit.kube.live_audit import audit_live

    client = _client(config_path)
    start = time.perf_counter()
    report = audit_live(client, "bench", owners=owners, page_size=PAGE)  # what `scan` runs per cluster
    seconds = time.perf_counter() - start
    bad = sum(1 for s in report.services if s.status != "ok")
    return {"seconds": seconds, "rss_mb": _rss_mb(), "services": len(report.services), "problems": bad}


def probe_models(config_path: str) -> dict:
    from kubernetes import client as k8s

    api = _client(config_path).api_client
    start = time.perf_counter()
    held = []
    for method in (k8s.CoreV1Api(api).list_service_for_all_namespaces,
                   k8s.DiscoveryV1Api(api).list_endpoint_slice_for_all_namespaces):
        token = None
        while True:
            page = method(limit=PAGE, _continue=token)
            held.extend(page.items)
            token = page.metadata._continue
            if not token:
                break
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rss_mb": _rss_mb(), "objects": len(held)}


def probe_transfer(config_path: str, pages_path: str) -> dict:
    """The same requests as ours, bodies read and kept as bytes, nothing decoded."""
    import re

    client = _client(config_path)
    pages: list[tuple[str, bytes]] = []
    start = time.perf_counter()
    for kind in ("Service", "EndpointSlice"):
        token = None
        while True:
            resp = client.open(kind, timeout=(10, 60), limit=PAGE, _continue=token)
            data = resp.data
            resp.release_conn()
            pages.append((kind, data))
            # The continue token sits in the list's metadata, ahead of the items.
            m = re.search(rb'"continue":"([^"]+)"', data[:4096])
            token = m.group(1).decode() if m else None
            if not token:
                break
    seconds = time.perf_counter() - start
    Path(pages_path).write_bytes(pickle.dumps(pages))
    return {"seconds": seconds, "rss_mb": _rss_mb(), "bytes": sum(len(d) for _, d in pages)}


def probe_floor(pages_path: str) -> dict:
    """decode_list + audit of the transfer's page bytes, from memory."""
    from sliceaudit.core.audit import audit_cluster
    from sliceaudit.core.decode import decode_list
    from sliceaudit.core.snapshot import Snapshot

    pages = pickle.loads(Path(pages_path).read_bytes())
    start = time.perf_counter()
    records, errors = [], []
    for kind, data in pages:
        page = decode_list(kind, data)
        records.extend(page.items)
        errors.extend(page.errors)
    audit_cluster("bench", Snapshot.of(records, errors))
    return {"seconds": time.perf_counter() - start, "rss_mb": _rss_mb()}


def _probe(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.kube", *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"probe {args[0]} failed: {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- list ------------------------------------------------------------------------------------


def bench_list() -> list[Figure]:
    from sliceaudit.sim.fleetrun import kubeconfig_for
    from sliceaudit.sim.large import large_cluster
    from sliceaudit.sim.server import ApiServer

    cluster = large_cluster("bench", slices=SLICES, endpoints=ENDPOINTS, truth=False)
    with tempfile.TemporaryDirectory() as tmp, ApiServer(cluster) as server:
        del cluster
        config = Path(tmp) / "kubeconfig.json"
        config.write_text(json.dumps(kubeconfig_for({"bench": server})))
        pages = str(Path(tmp) / "pages.pickle")
        transfer = min((_probe("transfer", str(config), pages) for _ in range(2)), key=lambda r: r["seconds"])
        floor = min((_probe("floor", pages) for _ in range(2)), key=lambda r: r["seconds"])
        ours = min((_probe("ours", str(config), "none") for _ in range(2)), key=lambda r: r["seconds"])
        needed = min((_probe("ours", str(config), "needed") for _ in range(2)), key=lambda r: r["seconds"])
        ours_all = min((_probe("ours", str(config), "all") for _ in range(2)), key=lambda r: r["seconds"])
        models = _probe("models", str(config))
    print(f"   input: {SLICES} EndpointSlices x {ENDPOINTS} endpoints, {transfer['bytes'] / 1e6:.0f} MB "
          f"of list JSON in pages of {PAGE}; {ours['problems']} of {ours['services']} Services not ok")
    print(f"   ours {ours['seconds']:.2f} s / {ours['rss_mb']:.0f} MB (root cause: owners=needed "
          f"{needed['seconds']:.2f} s / {needed['rss_mb']:.0f} MB, owners=all {ours_all['seconds']:.2f} s / "
          f"{ours_all['rss_mb']:.0f} MB); models {models['seconds']:.2f} s / "
          f"{models['rss_mb']:.0f} MB; transfer {transfer['seconds']:.2f} s + floor {floor['seconds']:.2f} s")
    bound = transfer["seconds"] + floor["seconds"]
    return [
        figure("kube: list + audit 20k slices (target x12)", ours["seconds"], "s",
               "kubernetes client models, paginated", models["seconds"]),
        figure("kube: list + audit vs transfer + floor (<=1.5x)", ours["seconds"], "s",
               "transfer + decode_list/audit from memory", bound),
        figure("kube: peak RSS list + audit (target 150 MB)", ours["rss_mb"], "MB",
               "kubernetes client models", models["rss_mb"]),
        figure("kube: root cause, owners=needed vs owners=all", needed["seconds"], "s",
               "every Pod, ReplicaSet, Deployment, StatefulSet, DaemonSet", ours_all["seconds"]),
        figure("kube: peak RSS owners=needed vs owners=all", needed["rss_mb"], "MB", "owners=all",
               ours_all["rss_mb"]),
    ]


# --- watch -----------------------------------------------------------------------------------


def _replayable_server():
    """A server whose history holds WATCH_EVENTS list-sized MODIFIED events after resourceVersion rv0."""
    from sliceaudit.sim.large import large_cluster
    from sliceaudit.sim.server import ApiServer

    cluster = large_cluster("watch", slices=100, endpoints=ENDPOINTS, truth=False, broken_every=0)
    objects = cluster.objects["EndpointSlice"]
    server = ApiServer(cluster, history=WATCH_EVENTS + 100).start()
    rv0 = str(max(int(o["metadata"]["resourceVersion"]) for kind in cluster.objects.values() for o in kind))
    for i in range(WATCH_EVENTS):
        obj = objects[i % len(objects)]
        obj["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"] = f"2025-01-07T{i:08d}"
        server.apply("EndpointSlice", obj)
    return server, rv0


def probe_watch_ours(config_path: str, rv0: str) -> dict:
    from sliceaudit.kube.watch import _Watch

    client = _client(config_path)
    best = float("inf")
    for _ in range(3):
        stop = threading.Event()
        seen = [0]

        def on_event(event, seen=seen, stop=stop):
            seen[0] += 1
            if seen[0] == WATCH_EVENTS:
                stop.set()

        start = time.perf_counter()
        w = _Watch(client, "EndpointSlice", None, lambda *a: None, on_event, stop, None, None, None, None, PAGE, 300,
                   75.0)
        w.resource_version = rv0  # replay the history: no list first
        w.run()
        assert seen[0] == WATCH_EVENTS, seen[0]
        best = min(best, time.perf_counter() - start)
    return {"seconds": best}


def probe_watch_models(config_path: str, rv0: str) -> dict:
    from kubernetes import client as k8s
    from kubernetes import watch

    api = k8s.DiscoveryV1Api(_client(config_path).api_client)
    w = watch.Watch()
    seen = 0
    start = time.perf_counter()
    for event in w.stream(api.list_endpoint_slice_for_all_namespaces, resource_version=rv0, timeout_seconds=300):
        assert event["object"].metadata.name
        seen += 1
        if seen == WATCH_EVENTS:
            w.stop()
            break
    return {"seconds": time.perf_counter() - start}


def bench_watch() -> list[Figure]:
    from sliceaudit.sim.fleetrun import kubeconfig_for

    server, rv0 = _replayable_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "kubeconfig.json"
            config.write_text(json.dumps(kubeconfig_for({"bench": server})))
            ours = _probe("watch-ours", str(config), rv0)["seconds"]
            models = _probe("watch-models", str(config), rv0)["seconds"]
    finally:
        server.close()
    print(f"   watch: {WATCH_EVENTS} MODIFIED EndpointSlice events of {ENDPOINTS} endpoints replayed over HTTPS: "
          f"ours {ours:.3f} s, models {models:.3f} s")
    return [figure("kube: watch events/s (target x15)", WATCH_EVENTS / ours, "events/s",
                   "kubernetes Watch.stream, models", WATCH_EVENTS / models, higher_is_better=True)]


def run() -> list[Figure]:
    return bench_list() + bench_watch()


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    probes = {"ours": probe_ours, "models": probe_models, "transfer": probe_transfer, "floor": probe_floor,
              "watch-ours": probe_watch_ours, "watch-models": probe_watch_models}
    print(json.dumps(probes[mode](*rest)))
