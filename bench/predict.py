"""`sliceaudit predict` on rendered manifests of 5,000 workloads and 5,000 Services.

Baselines measured in the same run: parsing the same YAML alone (what any manifest linter pays),
and the audit alone of the slices predict wrote (decode + audit, as a live scan of them would).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import yaml

from bench.results import Figure, figure, ratio_at_most
from sliceaudit.audit.terms import Status
from sliceaudit.cli.manifests import read_manifests
from sliceaudit.predict import predict

WORKLOADS = 5000
ROUNDS = 3
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


def _runs(fn) -> tuple[list[float], object]:
    times, out = [], None
    for _ in range(ROUNDS):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return times, out


def run() -> list[Figure]:
    text = manifests()
    with tempfile.TemporaryDirectory(prefix="sliceaudit-bench-") as tmp:
        path = Path(tmp) / "rendered.yaml"
        path.write_text(text)
        print(f"   input: {WORKLOADS} Deployments (2 replicas), {WORKLOADS} Services, {len(text) / 1e6:.1f} MB of YAML")
        t_predict, prediction = _runs(lambda: predict(read_manifests(str(path))[0]))
        t_yaml, _ = _runs(lambda: list(yaml.load_all(text, Loader=_Loader)))
    services = prediction.report.services
    broken = sum(1 for s in services if s.status != Status.OK)
    print(f"   predicted: {len(services)} Services, {broken} not ok")
    # Target: the whole prediction within 5x of parsing the same YAML alone, however fast the machine.
    return [
        figure("predict: 5k workloads + 5k Services", t_predict, "s", "YAML parse alone", t_yaml,
               targets=[ratio_at_most(5.0)]),
        figure("predict: Services per second", [len(services) / t for t in t_predict], "Services/s",
               "YAML parse alone", [len(services) / t for t in t_yaml], higher_is_better=True),
    ]
