"""The planner: SSM entries and EKS clusters across regions become one scan request per cluster."""

from __future__ import annotations

import json
import os

import pytest

from fleetaws.clients import assumed_session, client, session_client
from fleetaws.config import InventoryConfig
from fleetaws.inventory import find_target, load_inventory
from fleetaws.messages import ScanRequest
from fleetlocal import LambdaContext, load_event

from .helpers import emf_documents

ENTRIES = {
    "onprem-1": {"source": "kubeconfig", "secret": "sliceaudit/onprem-1", "context": "ctx-1"},
    "prod-eu": {"source": "eks", "cluster": "prod", "region": "eu-west-1",
                "role_arn": "arn:aws:iam::111111111111:role/sliceaudit-read"},
    "team/broken": "not json {",
    "team/no-region": {"source": "eks"},
    "team/outside": {"source": "kubeconfig", "secret": "other/kubeconfig"},
    "beta": {"source": "kubeconfig", "secret": "sliceaudit/beta"},   # also an EKS cluster's name
}


def eks_cluster(aws, region: str, name: str) -> None:
    eks = client(aws, "eks", region)
    if name not in eks.list_clusters()["clusters"]:  # moto's state lasts the session
        eks.create_cluster(name=name, roleArn="arn:aws:iam::123456789012:role/eks",
                           resourcesVpcConfig={"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]})


@pytest.fixture
def inventory(aws, stack, function_env, monkeypatch):
    ssm = client(aws, "ssm")
    for name, value in ENTRIES.items():
        ssm.put_parameter(Name=f"{stack.inventory_path}/{name}",
                          Value=value if isinstance(value, str) else json.dumps(value),
                          Type="SecureString", Overwrite=True)
    for region, name in (("eu-west-1", "alpha"), ("us-east-1", "alpha"), ("us-east-1", "beta")):
        eks_cluster(aws, region, name)
    monkeypatch.setenv("EKS_REGIONS", "eu-west-1,us-east-1")


def queued(aws, stack) -> list[ScanRequest]:
    sqs = client(aws, "sqs")
    found = []
    while True:
        got = sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return sorted(found, key=lambda r: r.cluster)
        assert all(set(json.loads(m["Body"])) == {"run_id", "run_size", "cluster"} for m in got)   # names only
        found += [ScanRequest.from_json(m["Body"]) for m in got]


def scanner_view(run_id: str) -> dict:
    """The inventory as the scan function looks names up in it (its own configuration, never a message)."""
    config = InventoryConfig.from_env(os.environ)
    return {t.name: t for t in load_inventory(config).targets} | {"_find": lambda n: find_target(config, run_id, n)}


def test_one_request_per_cluster_of_the_inventory(aws, stack, inventory, stdout_lines):
    from plan.app import lambda_handler

    result = lambda_handler(load_event("plan-scheduled.json"), LambdaContext("sliceaudit-plan"))

    assert result == {"run_id": "20250101T120000Z", "clusters": 6, "problems": 3}
    requests = queued(aws, stack)
    # Two clusters named alpha: each is qualified by its region; the SSM entry keeps the name beta.
    assert [r.cluster for r in requests] == ["beta", "eu-west-1/alpha", "onprem-1", "prod-eu", "us-east-1/alpha",
                                             "us-east-1/beta"]
    assert {r.run_id for r in requests} == {"20250101T120000Z"} and {r.run_size for r in requests} == {6}
    view = scanner_view("20250101T120000Z")
    find = view["_find"]
    assert (find("onprem-1").kubeconfig_secret, find("onprem-1").context) == ("sliceaudit/onprem-1", "ctx-1")
    assert find("beta").kubeconfig_secret == "sliceaudit/beta"
    prod = find("prod-eu").access
    assert (prod.source, prod.eks_name, prod.region, prod.role_arn) == (
        "eks", "prod", "eu-west-1", "arn:aws:iam::111111111111:role/sliceaudit-read")
    alpha = find("us-east-1/alpha").access
    assert (alpha.eks_name, alpha.region) == ("alpha", "us-east-1")
    assert find("team/outside") is None and find("alpha") is None

    lines = stdout_lines()
    warnings = [line["message"] for line in lines if line.get("level") == "WARNING"]
    assert warnings == [f"inventory: {stack.inventory_path}/team/broken: value is not JSON",
                        f"inventory: {stack.inventory_path}/team/no-region: an eks entry needs a region (and "
                        "cluster, a string)",
                        f"inventory: {stack.inventory_path}/team/outside: secret other/kubeconfig is not below the "
                        "kubeconfig secret prefix sliceaudit/"]
    assert all(line.get("run_id") == "20250101T120000Z" for line in lines if "level" in line)
    planned = [d["ClustersPlanned"] for d in emf_documents(lines) if "ClustersPlanned" in d]
    assert planned == [6]


def test_a_retried_schedule_plans_the_same_run(aws, stack, inventory):
    from plan.app import lambda_handler

    first = lambda_handler(load_event("plan-scheduled.json"), LambdaContext("sliceaudit-plan"))
    again = lambda_handler(load_event("plan-scheduled.json"), LambdaContext("sliceaudit-plan"))
    assert first["run_id"] == again["run_id"]


def test_an_empty_inventory_queues_nothing(aws, stack, function_env, monkeypatch, stdout_lines):
    from plan.app import lambda_handler

    monkeypatch.setenv("INVENTORY_PARAMETER_PATH", "/nothing/here")
    result = lambda_handler({}, LambdaContext("sliceaudit-plan"))
    assert result["clusters"] == 0 and queued(aws, stack) == []
    assert any(line.get("level") == "ERROR" for line in stdout_lines())


def test_clusters_of_other_accounts_are_found_through_their_role_assumed_once(aws, stack, function_env,
                                                                              monkeypatch):
    from plan.app import lambda_handler

    role = "arn:aws:iam::222222222222:role/sliceaudit-read"
    other = session_client(assumed_session(aws, role), aws, "eks", "us-east-1")
    if "gamma" not in other.list_clusters()["clusters"]:
        other.create_cluster(name="gamma", roleArn="arn:aws:iam::222222222222:role/eks",
                             resourcesVpcConfig={"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]})
    monkeypatch.setenv("INVENTORY_PARAMETER_PATH", "")
    monkeypatch.setenv("EKS_REGIONS", "eu-west-1,us-east-1")
    monkeypatch.setenv("INVENTORY_ROLE_ARNS", role)
    sts = client(aws, "sts")
    assumed: list[str] = []
    sts.meta.events.register("before-parameter-build.sts.AssumeRole",
                             lambda params, **_: assumed.append(params["RoleArn"]), unique_id="count-assume")
    try:
        lambda_handler({"run_id": "r1"}, LambdaContext("sliceaudit-plan"))
    finally:
        sts.meta.events.unregister("before-parameter-build.sts.AssumeRole", unique_id="count-assume")

    assert "gamma" in [r.cluster for r in queued(aws, stack)]
    gamma = scanner_view("r1")["gamma"].access
    assert (gamma.region, gamma.role_arn) == ("us-east-1", role)
    assert assumed == [role]   # one AssumeRole for the account, whatever the number of regions
