"""The fleet audit end to end: plan -> SQS -> scan against simulated clusters over HTTPS, with
DynamoDB, S3, SNS and SQS served by moto over HTTP, and the EMF lines the functions print."""

from __future__ import annotations

import json
import socket

import pytest

from fleetaws.clients import client
from fleetlocal import (
    LambdaContext,
    deliver,
    load_event,
    register_eks,
    register_kubeconfig,
)
from sliceaudit.audit.report import decode_report
from sliceaudit.sim.fleetrun import SimulatedFleet

from .helpers import REGION, cluster_metrics

MAX_RECEIVES = 2


@pytest.fixture
def max_receives() -> int:
    return MAX_RECEIVES


@pytest.fixture
def fleet():
    with SimulatedFleet(clusters=3, services=30, seed=7, broken_share=0.3,
                        eks_secrets={"AKIATESTTESTTESTTEST": "secret"}) as running:
        yield running


@pytest.fixture
def alerts(aws, stack):
    """A queue subscribed to the outage topic: what on-call would receive."""
    sqs = client(aws, "sqs")
    url = sqs.create_queue(QueueName=f"{stack.prefix}-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client(aws, "sns").subscribe(TopicArn=stack.topic_arn, Protocol="sqs", Endpoint=arn)

    def received() -> list[dict]:
        out = []
        while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for m in got:
                out.append(json.loads(json.loads(m["Body"])["Message"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return out

    return received


def plan_and_scan(stack, event: dict, **kwargs):
    from plan.app import lambda_handler as plan
    from scan.app import lambda_handler as scan

    planned = plan(event, LambdaContext("sliceaudit-plan", 120))
    return planned, deliver(stack, scan, **kwargs)


def s3_report(stack, run_id: str):
    s3 = client(stack.aws, "s3")
    return decode_report(s3.get_object(Bucket=stack.bucket, Key=f"runs/{run_id}/report.json")["Body"].read())


def html_report(stack, key: str) -> str:
    return client(stack.aws, "s3").get_object(Bucket=stack.bucket, Key=key)["Body"].read().decode()


def items(stack, pk: str) -> dict[str, dict]:
    from fleetaws.dynamo import query_all

    found = query_all(client(stack.aws, "dynamodb"), TableName=stack.table, KeyConditionExpression="pk = :pk",
                      ExpressionAttributeValues={":pk": {"S": pk}})
    return {i["sk"]: i for i in found}


def services_of(report) -> dict:
    return {(c.name, s.namespace, s.name): (s.status, s.endpoints, s.null_port_endpoints, s.port_zero_endpoints)
            for c in report.clusters for s in c.services}


def truth_of(fleet) -> dict:
    return {(c["name"], s["namespace"], s["name"]):
            (s["status"], s["endpoints"], s["null_port_endpoints"], s["port_zero_endpoints"])
            for c in fleet.truth()["clusters"] for s in c["services"]}


def register(stack, fleet, monkeypatch, eks: tuple[str, ...] = ()) -> None:
    """Clusters in a kubeconfig secret; those in `eks` as EKS clusters reached with EKS tokens."""
    register_kubeconfig(stack, fleet.kubeconfig(), [n for n in fleet.servers if n not in eks])
    for name in eks:
        server = fleet.servers[name]
        register_eks(stack, name, REGION, endpoint=server.url, ca_data=server.ca_data)
    # EKS tokens are presigned offline: STS keeps its real HTTPS name, which the API server checks.
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"https://sts.{REGION}.amazonaws.com")


def test_every_cluster_is_scanned_recorded_and_reported(aws, stack, function_env, fleet, alerts, monkeypatch,
                                                        stdout_lines):
    register(stack, fleet, monkeypatch, eks=("sim-3",))
    planned, delivery = plan_and_scan(stack, load_event("plan-scheduled.json"))
    run_id = planned["run_id"]
    assert (run_id, planned["clusters"]) == ("20250101T120000Z", 3)
    assert (delivery.succeeded, delivery.failed) == (3, 0)

    # The fleet report in S3 is the BRIEF's JSON, and says what the simulator knows to be true.
    report = s3_report(stack, run_id)
    truth = truth_of(fleet)
    assert report.schema == "sliceaudit.report/v1" and services_of(report) == truth
    assert [c.name for c in report.clusters] == ["sim-1", "sim-2", "sim-3"]

    # Findings history: one item per broken Service, first seen when this run scanned it.
    summaries = items(stack, f"RUN#{run_id}")
    assert summaries["RUN"]["reported"] == summaries["RUN"]["expected"] == 3
    assert summaries["RUN"]["report_key"] == f"runs/{run_id}/report.json"
    for name in fleet.servers:
        summary = summaries[f"CLUSTER#{name}"]
        broken = {(ns, svc): st for (c, ns, svc), (st, *_) in truth.items() if c == name and st != "ok"}
        assert summary["state"] == "scanned"
        assert (summary["outage"], summary["degraded"]) == (
            sum(s == "outage" for s in broken.values()), sum(s == "degraded" for s in broken.values()))
        history = items(stack, f"SVC#{name}")
        assert {tuple(sk.split("/")): i["status"] for sk, i in history.items()} == broken
        assert {i["first_seen"] for i in history.values()} == {summary["scanned_at"]}

    # A readable page: clusters, then Services in outage first, with root causes and first seen.
    page = html_report(stack, f"runs/{run_id}/report.html")
    assert all(name in page for name in fleet.servers)
    flagged = page.split("<h2>Services in outage or degraded, or routed wrongly by a proxy in use</h2>")[1]
    assert flagged.index('class="outage"') < flagged.index('class="degraded"')
    assert "NULL_PORTS" in flagged and summaries["CLUSTER#sim-1"]["scanned_at"] in flagged
    # Who is hit: the simulated sim-1 runs Skipper v0.21.146 (sim/world/catalog.py EDGE), which dials port 0.
    proxies = page.split("<h2>Proxies in use</h2>")[1].split("<h2>")[0]
    assert "skipper v0.21.146" in proxies and "<b>skipper v0.21.146</b>: Skipper v0.21.146: dials" in flagged
    assert any("skipper v0.21.146" in i.get("consumers_hit", []) for i in items(stack, "SVC#sim-1").values())
    assert html_report(stack, "latest/report.html") == page

    # EMF metrics per cluster, and logs carrying the run and the cluster.
    lines = stdout_lines()
    metrics = cluster_metrics(lines)
    for name in fleet.servers:
        summary = summaries[f"CLUSTER#{name}"]
        assert metrics[name]["ServicesInOutage"] == summary["outage"]
        assert metrics[name]["ServicesDegraded"] == summary["degraded"]
        assert metrics[name]["NullPortEndpoints"] == summary["null_port_endpoints"]
        assert metrics[name]["PortZeroEndpoints"] == summary["port_zero_endpoints"]
        assert metrics[name]["ScanErrors"] == 0 and metrics[name]["ScanDurationSeconds"] >= 0
    scanned = [line for line in lines if line.get("message") == "cluster scanned"]
    assert sorted(line["cluster"] for line in scanned) == ["sim-1", "sim-2", "sim-3"]
    assert {line["run_id"] for line in scanned} == {run_id}

    # On-call hears of each cluster's new outages once.
    with_outages = sorted({c for (c, *_), (st, *_) in truth.items() if st == "outage"})
    assert sorted(a["cluster"] for a in alerts()) == with_outages


def test_a_redelivered_request_is_not_counted_twice(aws, stack, function_env, fleet, monkeypatch, stdout_lines):
    from scan.app import lambda_handler as scan

    register(stack, fleet, monkeypatch)
    planned, _ = plan_and_scan(stack, {"run_id": "r1"})
    before = items(stack, "RUN#r1")
    stdout_lines()

    body = json.dumps({"run_id": "r1", "run_size": 3, "cluster": "sim-2", "kubeconfig_secret":
                       f"sliceaudit/{stack.prefix}/kubeconfig", "context": "sim-2"})
    client(aws, "sqs").send_message(QueueUrl=stack.queue_url, MessageBody=body)
    again = deliver(stack, scan)

    assert (again.succeeded, again.failed) == (1, 0)
    assert items(stack, "RUN#r1") == before
    assert "sim-2" not in cluster_metrics(stdout_lines())   # not scanned again, so not measured again


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_failing_clusters_are_retried_then_reported_while_the_others_succeed(aws, stack, function_env, fleet,
                                                                             monkeypatch, stdout_lines):
    kubeconfig = fleet.kubeconfig()
    kubeconfig["clusters"].append({"name": "gone", "cluster": {"server": f"https://127.0.0.1:{closed_port()}",
                                                               "certificate-authority-data":
                                                                   fleet.servers["sim-1"].ca_data}})
    kubeconfig["users"].append({"name": "gone", "user": {"token": "x"}})
    kubeconfig["contexts"].append({"name": "gone", "context": {"cluster": "gone", "user": "gone"}})
    register_kubeconfig(stack, kubeconfig, ["sim-1", "sim-2", "sim-3", "gone"])
    fleet.servers["sim-2"].faults.add(status=401, times=None)    # token revoked
    fleet.servers["sim-3"].faults.add(delay=4.0, times=None)     # slower than the invocation has left

    # Each invocation has 3 s left (1 s of it kept back for the writes): sim-3 cannot finish in time.
    planned, delivery = plan_and_scan(stack, {"run_id": "r1"}, batch_size=1,
                                      context=lambda: LambdaContext("sliceaudit-scan", timeout_seconds=3))

    assert (delivery.succeeded, delivery.failed) == (1, 3 * MAX_RECEIVES)
    dlq = client(aws, "sqs").get_queue_attributes(QueueUrl=stack.dlq_url,
                                                   AttributeNames=["ApproximateNumberOfMessages"])
    assert dlq["Attributes"]["ApproximateNumberOfMessages"] == "3"

    # The failures' last attempts were counted, so the run still has its report, naming each cause.
    report = s3_report(stack, "r1")
    errors = {c.name: " ".join(e.message for e in c.errors) for c in report.clusters}
    assert errors["sim-1"] == ""
    assert "unauthorized" in errors["sim-2"]
    assert "deadline" in errors["sim-3"] or "timed out" in errors["sim-3"]
    assert "connection refused" in errors["gone"]
    assert [s for s in report.clusters if s.name == "sim-1"][0].services
    run = items(stack, "RUN#r1")
    assert {sk: i["state"] for sk, i in run.items() if sk != "RUN"} == {
        "CLUSTER#sim-1": "scanned", "CLUSTER#sim-2": "failed", "CLUSTER#sim-3": "failed", "CLUSTER#gone": "failed"}
    metrics = cluster_metrics(stdout_lines())
    assert {name: m["ScanErrors"] for name, m in metrics.items()} == {"sim-1": 0, "sim-2": 1, "sim-3": 1, "gone": 1}


def test_a_service_that_recovers_is_resolved(aws, stack, function_env, fleet, alerts, monkeypatch):
    register(stack, fleet, monkeypatch)
    plan_and_scan(stack, {"run_id": "r1"})
    first = items(stack, "SVC#sim-1")
    outages = sorted(sk for sk, i in first.items() if i["status"] == "outage")
    assert outages, "the simulated cluster has a Service in outage"
    alerts()

    namespace, name = outages[0].split("/")
    fleet.servers["sim-1"].fix_service(namespace, name)
    plan_and_scan(stack, {"run_id": "r2"})

    second = items(stack, "SVC#sim-1")
    fixed = second[outages[0]]
    scanned_r2 = items(stack, "RUN#r2")["CLUSTER#sim-1"]["scanned_at"]
    assert (fixed["status"], fixed["last_status"], fixed["resolved_at"]) == ("ok", "outage", scanned_r2)
    assert fixed["first_seen"] == first[outages[0]]["first_seen"] and fixed["expires_at"] > 0
    for sk, item in second.items():
        if sk != outages[0]:
            assert "resolved_at" not in item and item["first_seen"] == first[sk]["first_seen"]
            assert item["last_seen"] == scanned_r2
    assert alerts() == []   # the outages still open are not news
    assert services_of(s3_report(stack, "r2"))[("sim-1", namespace, name)][0] == "ok"


def test_more_than_25_findings_are_written_in_batches_aws_accepts(aws, stack, function_env, monkeypatch):
    ddb = client(aws, "dynamodb")
    sizes: list[int] = []
    hook = "before-parameter-build.dynamodb.BatchWriteItem"
    ddb.meta.events.register(hook, lambda params, **_: sizes.append(len(params["RequestItems"][stack.table])),
                             unique_id="count-batch-writes")
    try:
        with SimulatedFleet(clusters=1, services=60, seed=3, broken_share=0.5) as big:
            register(stack, big, monkeypatch)
            _, delivery = plan_and_scan(stack, {"run_id": "r1"})
            broken = {k for k, (st, *_) in truth_of(big).items() if st != "ok"}
    finally:
        ddb.meta.events.unregister(hook, unique_id="count-batch-writes")
    assert delivery.failed == 0 and len(broken) > 25
    assert max(sizes) <= 25 and sum(sizes) == len(broken)
    assert len(items(stack, "SVC#sim-1")) == len(broken)


def test_a_malformed_message_fails_alone(aws, stack, function_env, fleet, monkeypatch, stdout_lines):
    register(stack, fleet, monkeypatch)
    client(aws, "sqs").send_message(QueueUrl=stack.queue_url, MessageBody="{not a scan request")
    planned, delivery = plan_and_scan(stack, {"run_id": "r1"}, batch_size=4)

    assert (delivery.succeeded, delivery.failed) == (3, MAX_RECEIVES)
    assert items(stack, "RUN#r1")["RUN"]["report_key"] == "runs/r1/report.json"
    errors = [line["message"] for line in stdout_lines() if line.get("level") == "ERROR"]
    assert errors and all(e.startswith("not a scan request") and "not JSON" in e for e in errors)
