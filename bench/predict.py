"""`sliceaudit predict` on rendered manifests of 5,000 workloads and 5,000 Services.

Baseline measured in the same run: parsing the same YAML alone (what any manifest linter pays).
Each measurement runs in a fresh process (bench/probe.py), the two in turn, bench.probe.RUNS times.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import yaml

from bench.probe import interleaved, serve
from bench.results import Figure, figure, ratio_at_most
from sliceaudit.audit.terms import Status
from sliceaudit.cli.manifests import read_manifests
from sliceaudit.predict import predict

WORKLOADS = 5000
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def manifests(workloads: int = WORKLOADS) -> str:
    """One Deployment and one Service per app; every 20th Service also matches a canary lacking its port."""
    docs = []
    for i in range(workloads):
        app = f"app-{i}"
        ns = f"team-{(i if i % 20 else i - 1) % 50}"  # a canary lives beside the app it joins
        labels = {"app": app} if i % 20 else {"app": f"app-{i - 1}", "track": "canary"}
        port = "http" if i % 20 else "web"
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": app, "namespace": ns},
                     "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                              "template": {"metadata": {"labels": labels},
                                           "spec": {"containers": [{"name": "app", "image": f"r/{app}:1",
                                                                    "ports": [{"name": port, "containerPort": 8080},
                                                                              {"name": "metrics",
                                                                               "containerPort": 9090}]}]}}}})
        docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": app, "namespace": ns},
                     "spec": {"selector": {"app": app}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}})
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return "---\n".join(yaml.dump(d, Dumper=dumper, sort_keys=False) for d in docs)


def probe_time(what: str, path: str) -> dict:
    """`predict` of the rendered manifests, or their YAML parse alone, timed in this fresh process."""
    text = Path(path).read_text()
    start = time.perf_counter()
    if what == "predict":
        services = predict(read_manifests(path)[0]).report.services
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "services": len(services),
                "broken": sum(1 for s in services if s.status != Status.OK)}
    list(yaml.load_all(text, Loader=_Loader))
    return {"seconds": time.perf_counter() - start}


def run() -> list[Figure]:
    text = manifests()
    with tempfile.TemporaryDirectory(prefix="sliceaudit-bench-") as tmp:
        path = Path(tmp) / "rendered.yaml"
        path.write_text(text)
        print(f"   input: {WORKLOADS} Deployments (2 replicas), {WORKLOADS} Services, {len(text) / 1e6:.1f} MB of YAML")
        predicted, parsed = interleaved("bench.predict", [("time", "predict", str(path)), ("time", "yaml", str(path))])
    t_predict, t_yaml = [r["seconds"] for r in predicted], [r["seconds"] for r in parsed]
    services = predicted[0]["services"]
    print(f"   predicted: {services} Services, {predicted[0]['broken']} not ok")
    # Target: the whole prediction within 5x of parsing the same YAML alone, however fast the machine.
    return [
        figure("predict: 5k workloads + 5k Services", t_predict, "s", "YAML parse alone", t_yaml,
               targets=[ratio_at_most(5.0)]),
        figure("predict: Services per second", [services / t for t in t_predict], "Services/s",
               "YAML parse alone", [services / t for t in t_yaml], higher_is_better=True),
    ]


if __name__ == "__main__":
    serve({"time": probe_time})
