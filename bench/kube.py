"""Kubernetes access: list + audit of a 20,000-slice cluster over HTTPS, and the watch loop.

List: each path runs in a fresh subprocess (time and peak RSS of that process alone) against one
simulated API server, itself in a process of its own (bench.probe.served): ours (raw pages decoded
into records, then audited) with owners=none, so it reads what the others read, and with root
cause (owners=needed, owners=all); (a) the kubernetes client's model path (the same paginated
lists into V1Service/V1EndpointSlice models, for a quarter of the slices: their time scaled to
all, as the full list takes over a minute); the floor: the transfer alone (the same pages fetched,
not decoded) plus decode_list + audit of those page bytes from memory. Watch: list-sized MODIFIED
events replayed from the server's history, read by our loop, by `kubernetes.watch.Watch().stream`
in model mode, and as bare lines (the transport's floor), each in a process of its own. Each
figure is the median of bench.probe.RUNS runs (the watch's: WATCH_RUNS), ours and the baselines
in turn. Targets (reported): >= 12x faster than models, <= 1.5x transfer + floor, peak RSS <= 150
MB, watch >= 15x.
"""
from __future__ import annotations

import json
import pickle
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.probe import announce, interleaved, rss_mb, serve, served
from bench.results import Figure, at_most, figure, ratio_at_most, speedup_at_least

SLICES = 20_000
ENDPOINTS = 25
PAGE = 500
WATCH_EVENTS = 3000
WATCH_PASSES = 2      # replays per watch probe, the fastest kept (the same for ours and the baselines)
WATCH_RUNS = 5        # watch probes of each kind: they are short, and the models' spread is wide
MODELS_SHARE = 0.25   # of the slices the models baseline lists (scaled to all)


# --- probes: each runs in a fresh process and prints one JSON line -------------------------------


def _client(config_path: str):
    from sliceaudit.kube.clusters import connect, kubeconfig_clusters

    return connect(kubeconfig_clusters(config_path)[0])


def probe_ours(config_path: str, owners: str = "needed") -> dict:
    from sliceaudit.audit.terms import Status
    from sliceaudit.kube.clusters import kubeconfig_clusters
    from sliceaudit.kube.pages import ListOptions
    from sliceaudit.live.owners import Owners
    from sliceaudit.live.scan import cluster_failure, scan_cluster

    (access,) = kubeconfig_clusters(config_path)
    start = time.perf_counter()
    report = scan_cluster(access, owners=Owners(owners), listing=ListOptions(page_size=PAGE))  # as `scan` runs it
    seconds = time.perf_counter() - start
    if (failure := cluster_failure(report)) is not None:
        raise RuntimeError(f"the benchmark cluster could not be audited: {failure}")
    bad = sum(1 for s in report.services if s.status != Status.OK)
    return {"seconds": seconds, "rss_mb": rss_mb("VmHWM"), "services": len(report.services), "problems": bad}


def probe_models(config_path: str, slices: str) -> dict:
    """Every Service and the first MODELS_SHARE of the `slices` EndpointSlices into models; the slices'
    time scaled up to all of them (the model path costs the same per slice: ~70 s for all 20,000)."""
    from kubernetes import client as k8s

    api = _client(config_path).api_client
    held: list = []
    seconds = []
    for method, stop in ((k8s.CoreV1Api(api).list_service_for_all_namespaces, None),
                         (k8s.DiscoveryV1Api(api).list_endpoint_slice_for_all_namespaces, int(slices) * MODELS_SHARE)):
        start, token, got = time.perf_counter(), None, 0
        while True:
            page = method(limit=PAGE, _continue=token)
            held.extend(page.items)
            got += len(page.items)
            token = page.metadata._continue
            if not token or (stop is not None and got >= stop):
                break
        seconds.append((time.perf_counter() - start) * (int(slices) / got if stop is not None else 1))
    return {"seconds": sum(seconds), "objects": len(held)}


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
    return {"seconds": seconds, "rss_mb": rss_mb("VmHWM"), "bytes": sum(len(d) for _, d in pages)}


def probe_floor(pages_path: str) -> dict:
    """decode_list + audit of the transfer's page bytes, from memory."""
    from sliceaudit.api.decode import decode_list
    from sliceaudit.api.snapshot import Snapshot
    from sliceaudit.audit.cluster import audit_cluster

    pages = pickle.loads(Path(pages_path).read_bytes())
    start = time.perf_counter()
    records, errors = [], []
    for kind, data in pages:
        page = decode_list(kind, data)
        records.extend(page.items)
        errors.extend(page.errors)
    audit_cluster("bench", Snapshot.of(records, errors))
    return {"seconds": time.perf_counter() - start, "rss_mb": rss_mb("VmHWM")}


# --- list ------------------------------------------------------------------------------------


def serve_list(config_path: str) -> dict:
    """The 20k-slice cluster served until stdin closes; its kubeconfig written to `config_path`."""
    from sliceaudit.sim.clusterserver import ClusterServer
    from sliceaudit.sim.fleetrun import kubeconfig_for
    from sliceaudit.sim.world.large import large_cluster

    cluster = large_cluster("bench", slices=SLICES, endpoints=ENDPOINTS, truth=False)
    slices = len(cluster.objects["EndpointSlice"])
    with ClusterServer(cluster) as server:
        del cluster
        Path(config_path).write_text(json.dumps(kubeconfig_for({"bench": server})))
        return announce({"slices": slices})


def bench_list() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        config = str(Path(tmp) / "kubeconfig.json")
        pages = str(Path(tmp) / "pages.pickle")
        with served("bench.kube", "serve-list", config) as server:
            runs = interleaved("bench.kube", [("transfer", config, pages), ("floor", pages), ("ours", config, "none"),
                                              ("ours", config, "needed"), ("ours", config, "all"),
                                              ("models", config, str(server["slices"]))])
            transfer, floor, ours, needed, ours_all, models = runs

    def median(results: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in results)

    print(f"   input: {SLICES} EndpointSlices x {ENDPOINTS} endpoints, {transfer[0]['bytes'] / 1e6:.0f} MB "
          f"of list JSON in pages of {PAGE}; {ours[0]['problems']} of {ours[0]['services']} Services not ok")
    print(f"   ours {median(ours, 'seconds'):.2f} s / {median(ours, 'rss_mb'):.0f} MB (root cause: owners=needed "
          f"{median(needed, 'seconds'):.2f} s / {median(needed, 'rss_mb'):.0f} MB, owners=all "
          f"{median(ours_all, 'seconds'):.2f} s / {median(ours_all, 'rss_mb'):.0f} MB); models "
          f"{median(models, 'seconds'):.2f} s (a quarter of the slices, scaled); transfer "
          f"{median(transfer, 'seconds'):.2f} s + floor {median(floor, 'seconds'):.2f} s (medians of {len(ours)} runs)")
    seconds = [r["seconds"] for r in ours]
    return [
        figure("kube: list + audit 20k slices", seconds, "s", "kubernetes client models, paginated (1/4 scaled)",
               [r["seconds"] for r in models], targets=(speedup_at_least(12),)),
        figure("kube: list + audit vs transfer + floor", seconds, "s", "transfer + decode_list/audit from memory",
               [t["seconds"] + f["seconds"] for t, f in zip(transfer, floor)], targets=(ratio_at_most(1.5),)),
        figure("kube: peak RSS list + audit", [r["rss_mb"] for r in ours], "MB",
               "decode_list + audit of the pages held in memory (the floor)", [r["rss_mb"] for r in floor],
               targets=(at_most(150),)),
        figure("kube: root cause, owners=needed vs owners=all", [r["seconds"] for r in needed], "s",
               "every Pod, ReplicaSet, Deployment, StatefulSet, DaemonSet", [r["seconds"] for r in ours_all]),
        figure("kube: peak RSS owners=needed vs owners=all", [r["rss_mb"] for r in needed], "MB", "owners=all",
               [r["rss_mb"] for r in ours_all]),
    ]


# --- watch -----------------------------------------------------------------------------------


def serve_watch(config_path: str) -> dict:
    """A server whose history holds WATCH_EVENTS list-sized MODIFIED events after the resourceVersion
    it announces (rv0), served until stdin closes; its kubeconfig written to `config_path`."""
    from sliceaudit.sim.clusterserver import ClusterServer
    from sliceaudit.sim.fleetrun import kubeconfig_for
    from sliceaudit.sim.world.large import large_cluster

    cluster = large_cluster("watch", slices=100, endpoints=ENDPOINTS, truth=False, broken_every=0)
    objects = cluster.objects["EndpointSlice"]
    with ClusterServer(cluster, history=WATCH_EVENTS + 100) as server:
        rv0 = str(max(int(o["metadata"]["resourceVersion"]) for kind in cluster.objects.values() for o in kind))
        for i in range(WATCH_EVENTS):
            obj = objects[i % len(objects)]
            obj["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"] = f"2025-01-07T{i:08d}"
            server.apply("EndpointSlice", obj)
        Path(config_path).write_text(json.dumps(kubeconfig_for({"bench": server})))
        return announce({"rv0": rv0})


def _best_pass(read_events) -> dict:
    """The fastest of WATCH_PASSES replays of the history by `read_events()` (each reads WATCH_EVENTS)."""
    best = float("inf")
    for _ in range(WATCH_PASSES):
        start = time.perf_counter()
        read_events()
        best = min(best, time.perf_counter() - start)
    return {"seconds": best}


def probe_watch_ours(config_path: str, rv0: str) -> dict:
    from sliceaudit.api.decode import WatchEvent
    from sliceaudit.kube.watch import WatchOptions, _Watch

    client = _client(config_path)

    def read_events() -> None:
        stop = threading.Event()
        seen = 0
        w = _Watch(client, "EndpointSlice", stop=stop, options=WatchOptions(page_size=PAGE, timeout_seconds=300))
        w.resource_version = rv0  # replay the history: no list first
        for event in w.events():
            if event.__class__ is WatchEvent:
                seen += 1
                if seen == WATCH_EVENTS:
                    stop.set()
        assert seen == WATCH_EVENTS, seen

    return _best_pass(read_events)


def probe_watch_stream(config_path: str, rv0: str) -> dict:
    """The floor: the same stream's lines read (chunked transfer decoded, lines split), none decoded."""
    from sliceaudit.kube.watch import _lines

    client = _client(config_path)

    def read_events() -> None:
        resp = client.open("EndpointSlice", timeout=(10, 300), watch=True, allow_watch_bookmarks=True,
                           resource_version=rv0, timeout_seconds=300)
        seen = 0
        for _ in _lines(resp):
            seen += 1
            if seen == WATCH_EVENTS:
                break
        resp.close()
        assert seen == WATCH_EVENTS, seen

    return _best_pass(read_events)


def probe_watch_models(config_path: str, rv0: str) -> dict:
    from kubernetes import client as k8s
    from kubernetes import watch

    api = k8s.DiscoveryV1Api(_client(config_path).api_client)

    def read_events() -> None:
        w = watch.Watch()
        seen = 0
        for event in w.stream(api.list_endpoint_slice_for_all_namespaces, resource_version=rv0, timeout_seconds=300):
            assert event["object"].metadata.name
            seen += 1
            if seen == WATCH_EVENTS:
                w.stop()
                break

    return _best_pass(read_events)


def bench_watch() -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        config = str(Path(tmp) / "kubeconfig.json")
        with served("bench.kube", "serve-watch", config) as server:
            rv0 = server["rv0"]
            ours, models, stream = interleaved("bench.kube", [("watch-ours", config, rv0),
                                                              ("watch-models", config, rv0),
                                                              ("watch-stream", config, rv0)], runs=WATCH_RUNS)
    print(f"   watch: {WATCH_EVENTS} MODIFIED EndpointSlice events of {ENDPOINTS} endpoints replayed over HTTPS; "
          f"each run the best of {WATCH_PASSES} passes, in a process of its own")

    def rates(results: list[dict]) -> list[float]:
        return [WATCH_EVENTS / r["seconds"] for r in results]

    return [figure("kube: watch events/s", rates(ours), "events/s", "kubernetes Watch.stream, models",
                   rates(models), higher_is_better=True, targets=(speedup_at_least(15),)),
            figure("kube: watch events/s vs the stream read", rates(ours), "events/s",
                   "the same lines read, not decoded (the transport's floor)", rates(stream),
                   higher_is_better=True)]


def run() -> list[Figure]:
    return bench_list() + bench_watch()


if __name__ == "__main__":
    serve({"serve-list": serve_list, "serve-watch": serve_watch,
           "ours": probe_ours, "models": probe_models, "transfer": probe_transfer, "floor": probe_floor,
           "watch-ours": probe_watch_ours, "watch-models": probe_watch_models, "watch-stream": probe_watch_stream})
