#!/usr/bin/env python3
"""The serverless fleet audit end to end, on this machine: a simulated fleet of Kubernetes clusters
(HTTPS API servers on 127.0.0.1), moto's AWS server, and the plan and scan Lambda handlers invoked
the way EventBridge Scheduler and SQS invoke them. Prints the fleet summary and where the report is.

    .venv/bin/python scripts/demo.py [--clusters 3] [--services 50] [--output demo-output]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REGION = "eu-west-1"
ACCESS_KEY, SECRET_KEY = "AKIADEMODEMODEMODEMO", "demo-secret"


def fake_aws_environment(moto_url: str) -> None:
    """Every AWS client at moto, with throwaway credentials; STS stays on its real (HTTPS) name
    because EKS tokens are presigned offline and the simulated API servers verify them."""
    from fleetlocal import REAL_AWS_VARIABLES, fake_aws_env

    os.environ.update(fake_aws_env(moto_url, REGION, ACCESS_KEY, SECRET_KEY))
    os.environ["AWS_ENDPOINT_URL_STS"] = f"https://sts.{REGION}.amazonaws.com"
    for key in REAL_AWS_VARIABLES:
        os.environ.pop(key, None)


def run(args: argparse.Namespace) -> int:
    from moto.server import ThreadedMotoServer

    from sliceaudit.sim.fleetrun import SimulatedFleet

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "lambda-stdout.jsonl"
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        fake_aws_environment(f"http://{host}:{port}")
        with SimulatedFleet(clusters=args.clusters, services=args.services, seed=args.seed,
                            broken_share=args.broken_share, eks_secrets={ACCESS_KEY: SECRET_KEY}) as fleet, \
                log_path.open("w") as log:
            kubectl_scan(fleet, out)
            predict_manifests(fleet, out)
            return audit(fleet, out, log, log_path)
    finally:
        moto.stop()


def kubectl_scan(fleet, out: Path) -> None:
    """The real kubectl against one simulated cluster, its output piped into `sliceaudit scan -f -`."""
    bin_dir = Path(sys.executable).parent
    kubeconfig = fleet.write_kubeconfig(out / "kubeconfig")
    context = next(iter(fleet.servers))
    kinds = "services,endpointslices,pods,replicasets,deployments,statefulsets,daemonsets"
    print(f"$ kubectl --context {context} get {kinds} -A -o json | sliceaudit scan -f - --cluster-name {context}")
    kubectl = subprocess.Popen([str(bin_dir / "kubectl"), "--kubeconfig", str(kubeconfig), "--context", context,
                                "--cache-dir", str(out / "kubectl-cache"), "get", kinds, "-A", "-o", "json"],
                               stdout=subprocess.PIPE)
    scan = subprocess.run([str(bin_dir / "sliceaudit"), "scan", "-f", "-", "--cluster-name", context,
                           "--fail-on", "never"], stdin=kubectl.stdout, capture_output=True, text=True,
                          timeout=300)
    kubectl.stdout.close()
    kubectl.wait(timeout=60)
    print(scan.stdout, end="")
    if kubectl.returncode or scan.returncode:
        print(f"kubectl exited {kubectl.returncode}, sliceaudit scan {scan.returncode}: {scan.stderr.strip()}")
    print()


def predict_manifests(fleet, out: Path) -> None:
    """`sliceaudit predict` on the first cluster's own workloads and Services, as rendered manifests."""
    import yaml

    from sliceaudit.sim.world import render

    sim = next(iter(fleet.servers.values())).sim
    docs = [render.workload(w) for w in sim.workloads.values()] + [render.service(s) for s in sim.services.values()]
    path = out / "rendered.yaml"
    path.write_text("---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs))
    print(f"$ sliceaudit predict -f {path}   # the same cluster's manifests, before anything is deployed")
    result = subprocess.run([str(Path(sys.executable).parent / "sliceaudit"), "predict", "-f", str(path),
                             "--fail-on", "never"], capture_output=True, text=True, timeout=300)
    print(result.stdout, end="")
    if result.returncode:
        print(f"sliceaudit predict exited {result.returncode}: {result.stderr.strip()}")
    print()


def audit(fleet, out: Path, log, log_path: Path) -> int:
    from fleetaws.clients import client
    from fleetaws.config import AwsEnv
    from fleetlocal import create_stack, deliver, register_eks, register_kubeconfig
    from sliceaudit.audit.report import decode_report
    from sliceaudit.render.table import render_table

    aws = AwsEnv.from_env(os.environ)
    started = time.monotonic()
    stack = create_stack(aws, outage_topic=True)
    os.environ.update(stack.function_env())
    names = list(fleet.servers)
    # All clusters but the last come from a kubeconfig in Secrets Manager; the last one is "EKS",
    # reached with an EKS token (presigned STS GetCallerIdentity) that its API server verifies.
    kube, eks = names[:-1] or names, names[-1:] if len(names) > 1 else []
    register_kubeconfig(stack, fleet.kubeconfig(), kube)
    for name in eks:
        server = fleet.servers[name]
        register_eks(stack, name, REGION, endpoint=server.url, ca_data=server.ca_data)
    print(f"simulated fleet: {len(names)} clusters ({', '.join(names)}); "
          f"kubeconfig secret for {', '.join(kube)}" + (f"; EKS token for {', '.join(eks)}" if eks else ""))

    # The handlers print JSON logs and EMF metrics, as in Lambda; here they go to a file.
    with contextlib.redirect_stdout(log):
        from fleetlocal import LambdaContext
        from plan.app import lambda_handler as plan
        from scan.app import lambda_handler as scan

        scheduled = {"scheduled_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        planned = plan(scheduled, LambdaContext("sliceaudit-plan", 120))
        delivery = deliver(stack, scan, batch_size=2)
        sys.stdout.flush()
    run_id = planned["run_id"]
    print(f"plan: run {run_id}, {planned['clusters']} scan requests queued")
    print(f"scan: {delivery.invocations} invocations, {delivery.succeeded} clusters recorded, "
          f"{delivery.failed} failed attempts")

    s3 = client(aws, "s3")
    report_json = s3.get_object(Bucket=stack.bucket, Key=f"runs/{run_id}/report.json")["Body"].read()
    report_html = s3.get_object(Bucket=stack.bucket, Key=f"runs/{run_id}/report.html")["Body"].read()
    report = decode_report(report_json)
    (out / "report.json").write_bytes(report_json)
    html_path = out / "report.html"
    html_path.write_bytes(report_html)

    ddb = client(aws, "dynamodb")
    history = ddb.scan(TableName=stack.table, Select="COUNT", FilterExpression="begins_with(pk, :p)",
                       ExpressionAttributeValues={":p": {"S": "SVC#"}})["Count"]
    emf = sum(1 for line in log_path.read_text().splitlines() if '"_aws"' in line)

    print()
    print(render_table(report, color=sys.stdout.isatty()), end="")
    print()
    truth = {(c["name"], s["namespace"], s["name"]): s["status"] for c in fleet.truth()["clusters"]
             for s in c["services"]}
    found = {(c.name, s.namespace, s.name): s.status for c in report.clusters for s in c.services}
    print(f"DynamoDB {stack.table}: {history} findings-history items, one summary item per cluster")
    print(f"S3 s3://{stack.bucket}/runs/{run_id}/report.json and report.html")
    print(f"CloudWatch EMF: {emf} metric documents in {log_path}")
    print(f"matches the simulator's ground truth: {'yes' if found == truth else 'NO'}")
    print(f"HTML report: {html_path.resolve()}")
    print(f"done in {time.monotonic() - started:.1f}s")
    return 0 if found == truth else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=3)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--broken-share", type=float, default=0.2)
    parser.add_argument("--output", default="demo-output")
    args = parser.parse_args(argv)
    if args.clusters < 1 or args.services < 1 or not 0 <= args.broken_share <= 1:
        print("demo: --clusters and --services must be at least 1, --broken-share within 0..1", file=sys.stderr)
        return 2
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
