"""The Lambda's trust boundary: a scan request names a cluster; nothing in it is read, run or sent to.

Hostile messages go to the real scan handler (moto's server over HTTP for AWS, a simulated cluster
over HTTPS); a loopback catcher records every connection, and exec entries would create a marker.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import uuid

import pytest

from fleetaws.clients import client
from fleetlocal import LambdaContext, put_inventory_entry, register_kubeconfig, sqs_event
from functions import conftest as _functions
from sliceaudit.audit.report import decode_report
from sliceaudit.sim.fleetrun import SimulatedFleet

RUN = "20250101T120000Z"
# The functions' fixtures (moto's server, the template's resources, the functions' environment and output).
aws, stack, function_env = _functions.aws, _functions.stack, _functions.function_env
max_receives, stdout_lines = _functions.max_receives, _functions.stdout_lines


class Catcher(socketserver.ThreadingTCPServer):
    """A loopback TCP server that records every connection made to it, and answers none."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.connections: list[tuple] = []
        super().__init__(("127.0.0.1", 0), _Record)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"


class _Record(socketserver.BaseRequestHandler):
    def handle(self):
        self.server.connections.append(self.client_address)


@pytest.fixture
def catcher():
    server = Catcher()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def fleet():
    with SimulatedFleet(clusters=1, services=5, seed=3, broken_share=0.4) as running:
        yield running


@pytest.fixture
def marker(tmp_path):
    return tmp_path / "exec-ran"


def deliver(stack, bodies: list[dict]) -> tuple[set[str], list[str]]:
    """The bodies as one SQS batch to the scan handler: (failed message ids, ids in order)."""
    from scan.app import lambda_handler

    ids = [str(uuid.uuid4()) for _ in bodies]
    messages = [{"MessageId": i, "ReceiptHandle": i, "Body": json.dumps(b)} for i, b in zip(ids, bodies)]
    response = lambda_handler(sqs_event(messages, stack.queue_arn, stack.aws.region),
                              LambdaContext("sliceaudit-scan", 120))
    return {f["itemIdentifier"] for f in response["batchItemFailures"]}, ids


def hostile_access(catcher, marker) -> list[dict]:
    """How an older planner's message said to reach a cluster, pointed at the catcher and a marker."""
    exec_config = {"apiVersion": "v1", "kind": "Config", "current-context": "x",
                   "clusters": [{"name": "x", "cluster": {"server": catcher.url}}],
                   "users": [{"name": "x", "user": {"exec": {
                       "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "sh",
                       "args": ["-c", f"touch {marker}"]}}}],
                   "contexts": [{"name": "x", "context": {"cluster": "x", "user": "x"}}]}
    return [
        {"access": {"source": "incluster", "server": catcher.url, "token_file": "/proc/self/environ",
                    "ca_file": "/etc/hostname"}},
        {"access": {"source": "kubeconfig", "kubeconfig": exec_config, "context": "x"}},
        {"access": {"source": "eks", "region": "eu-west-1", "server": catcher.url, "ca_data": "Q0E="}},
        {"kubeconfig": exec_config, "kubeconfig_secret": "sliceaudit/not-registered", "context": "x"},
    ]


def test_a_message_naming_no_inventory_cluster_reaches_nothing(aws, stack, function_env, catcher, marker,
                                                               stdout_lines):
    bodies = [{"run_id": RUN, "run_size": 1, "cluster": "evil", "name": "evil", **how}
              for how in hostile_access(catcher, marker)]
    failed, ids = deliver(stack, bodies)
    assert failed == set(ids)
    assert catcher.connections == [] and not marker.exists()
    warnings = [line["message"] for line in stdout_lines() if line.get("level") == "WARNING"]
    assert warnings and all("evil is not a cluster of the inventory" in w for w in warnings)


def test_a_message_naming_a_real_cluster_is_scanned_the_inventory_way(aws, stack, function_env, fleet, catcher,
                                                                      marker):
    register_kubeconfig(stack, fleet.kubeconfig(), ["sim-1"])
    bodies = [{"run_id": f"{RUN}-{i}", "run_size": 1, "cluster": "sim-1", **how}
              for i, how in enumerate(hostile_access(catcher, marker))]
    failed, _ = deliver(stack, bodies)
    assert failed == set()
    assert catcher.connections == [] and not marker.exists()
    s3 = client(aws, "s3")
    report = decode_report(s3.get_object(Bucket=stack.bucket, Key=f"runs/{RUN}-0/report.json")["Body"].read())
    (cluster,) = report.clusters
    assert cluster.name == "sim-1" and cluster.services and not cluster.errors


def kubeconfig_with(server: str, user: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "c", "cluster": {"server": server, "certificate-authority-data": "Q0E="}}],
            "users": [{"name": "c", "user": user}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "c"}}]}


def secret_cases(catcher, marker) -> dict[str, tuple[dict, str]]:
    exec_ = {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "sh", "args": ["-c", f"touch {marker}"]}
    return {
        "token-file": ({"tokenFile": "/proc/self/environ"}, "user.tokenFile names a file"),
        "exec": ({"exec": exec_}, "user.exec runs 'sh'"),
        "aws-with-endpoint": ({"exec": {**exec_, "command": "aws", "args": [
            "eks", "get-token", "--cluster-name", "c", "--endpoint-url", catcher.url]}}, "the only exec entry allowed"),
        "auth-provider": ({"auth-provider": {"name": "oidc", "config": {"id-token": "x"}}},
                          "user.auth-provider is not allowed"),
    }


def test_a_secret_kubeconfig_may_not_read_files_or_run_commands(aws, stack, function_env, catcher, marker,
                                                                max_receives):
    cases = secret_cases(catcher, marker)
    for name, (user, _) in cases.items():
        register_kubeconfig(stack, kubeconfig_with(catcher.url, user), [], secret_name=f"sliceaudit/{name}")
        put_inventory_entry(stack, name, {"source": "kubeconfig", "secret": f"sliceaudit/{name}", "context": "c"})
    bodies = [{"run_id": RUN, "run_size": len(cases), "cluster": name} for name in cases]
    from scan.app import lambda_handler

    messages = [{"MessageId": n, "ReceiptHandle": n, "Body": json.dumps(b),
                 "Attributes": {"ApproximateReceiveCount": str(max_receives)}} for n, b in zip(cases, bodies)]
    lambda_handler(sqs_event(messages, stack.queue_arn, stack.aws.region), LambdaContext("sliceaudit-scan", 120))
    assert catcher.connections == [] and not marker.exists()
    report = decode_report(client(aws, "s3").get_object(Bucket=stack.bucket,
                                                        Key=f"runs/{RUN}/report.json")["Body"].read())
    errors = {c.name: c.errors[0].message for c in report.clusters}
    for name, (_, why) in cases.items():
        assert why in errors[name] and "\n" not in errors[name]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_password_never_reaches_logs_or_reports(aws, stack, function_env, max_receives, stdout_lines):
    server = f"https://admin:hunter2@127.0.0.1:{closed_port()}"
    register_kubeconfig(stack, kubeconfig_with(server, {"token": "t"}), [], secret_name="sliceaudit/pw")
    put_inventory_entry(stack, "pw", {"source": "kubeconfig", "secret": "sliceaudit/pw", "context": "c"})
    messages = [{"MessageId": "m", "ReceiptHandle": "m", "Body": json.dumps({"run_id": RUN, "cluster": "pw"}),
                 "Attributes": {"ApproximateReceiveCount": str(max_receives)}}]
    from scan.app import lambda_handler

    lambda_handler(sqs_event(messages, stack.queue_arn, stack.aws.region), LambdaContext("sliceaudit-scan", 120))
    s3 = client(aws, "s3")
    json_report = s3.get_object(Bucket=stack.bucket, Key=f"runs/{RUN}/report.json")["Body"].read().decode()
    html_report = s3.get_object(Bucket=stack.bucket, Key=f"runs/{RUN}/report.html")["Body"].read().decode()
    logs = json.dumps(stdout_lines())
    assert "***@127.0.0.1" in json_report
    for text in (json_report, html_report, logs):
        assert "hunter2" not in text
