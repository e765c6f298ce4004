"""template.yaml: the SAM application deploys what the functions expect, and nothing more."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cfnlint.decode import decode

from fleetaws.config import PlanConfig, ScanConfig

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> dict:
    parsed, problems = decode(str(ROOT / "template.yaml"))
    assert not problems, problems
    return parsed


def resources(template, kind: str) -> dict:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def statements(function: dict) -> list[dict]:
    """Inline policy statements, with the conditional ones (Fn::If) taken as deployed when true."""
    found = []
    for policy in function["Properties"].get("Policies", []):
        for st in policy.get("Statement", []) if isinstance(policy, dict) else []:
            if "Fn::If" in st:
                st = st["Fn::If"][1]
            found.append(st)
    return found


def actions(function: dict) -> set[str]:
    out = set()
    for st in statements(function):
        acts = st["Action"]
        out.update([acts] if isinstance(acts, str) else acts)
    return out


def test_the_scan_queue_outlives_six_scan_timeouts_and_redrives_to_a_dead_letter_queue(template):
    timeouts = template["Parameters"]["ScanTimeoutSeconds"]["AllowedValues"]
    visibility = template["Mappings"]["ScanTimeouts"]
    assert sorted(visibility) == sorted(timeouts)
    for timeout in timeouts:
        assert visibility[timeout]["QueueVisibility"] >= 6 * int(timeout)
    queue = template["Resources"]["ScanQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ScanDeadLetterQueue", "Arn"]}
    assert template["Resources"]["ScanFunction"]["Properties"]["Timeout"] == {"Ref": "ScanTimeoutSeconds"}


def test_scan_reports_batch_item_failures_in_small_batches(template):
    event = template["Resources"]["ScanFunction"]["Properties"]["Events"]["Requests"]
    assert event["Type"] == "SQS"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert template["Parameters"]["ScanBatchSize"]["Default"] <= 5


def test_plan_runs_on_an_eventbridge_scheduler_schedule_naming_the_run(template):
    event = template["Resources"]["PlanFunction"]["Properties"]["Events"]["Schedule"]
    assert event["Type"] == "ScheduleV2"
    assert "<aws.scheduler.scheduled-time>" in event["Properties"]["Input"]


def test_the_layer_is_built_from_shared_with_exact_pins(template):
    layer = template["Resources"]["CoreLayer"]
    assert layer["Properties"]["ContentUri"] == "shared/"
    assert layer["Metadata"]["BuildMethod"] == "python3.12"
    pins = [line for line in (ROOT / "shared" / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9.+-]*", p) for p in pins), pins
    names = {p.split("==")[0].lower().replace("_", "-") for p in pins}
    assert {"msgspec", "kubernetes", "pyyaml", "aws-lambda-powertools", "aws-xray-sdk"} <= names
    assert "kubernetes==37.0.1" in pins
    functions = resources(template, "AWS::Serverless::Function")
    assert {f["Properties"]["Handler"] for f in functions.values()} == {
        "plan.app.lambda_handler", "scan.app.lambda_handler"}
    assert template["Globals"]["Function"]["CodeUri"] == "functions/"


def test_findings_table_is_on_demand_with_ttl_recovery_and_encryption(template):
    table = template["Resources"]["FindingsTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True


def test_report_bucket_is_encrypted_private_and_expires_old_runs(template):
    bucket = template["Resources"]["ReportBucket"]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(bucket["PublicAccessBlockConfiguration"].values()) and len(bucket["PublicAccessBlockConfiguration"]) == 4
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert any(r.get("Prefix") == "runs/" and r.get("ExpirationInDays") for r in rules)


def test_the_outage_topic_is_optional(template):
    assert template["Resources"]["OutageTopic"]["Condition"] == "CreateOutageTopic"
    assert template["Outputs"]["OutageTopicArn"]["Condition"] == "CreateOutageTopic"


@pytest.mark.parametrize("function, allowed", [
    ("PlanFunction", {"ssm:GetParametersByPath", "eks:ListClusters", "sts:AssumeRole"}),
    ("ScanFunction", {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query",
                      "dynamodb:BatchWriteItem", "s3:GetObject", "s3:PutObject", "secretsmanager:GetSecretValue",
                      "eks:DescribeCluster", "sts:AssumeRole", "sns:Publish",
                      "ssm:GetParametersByPath", "eks:ListClusters"}),   # the inventory, to look names up
])
def test_each_function_gets_only_the_actions_it_uses(template, function, allowed):
    fn = template["Resources"][function]
    assert actions(fn) == allowed
    for st in statements(fn):
        resource = st["Resource"]
        # Only ListClusters, which has no resource-level permissions, may name every resource.
        assert resource != "*" or st["Action"] == "eks:ListClusters"


def environment(template, function: str) -> dict[str, str]:
    """The function's environment as deployed, with every value replaced by a plausible one."""
    merged = {**template["Globals"]["Function"]["Environment"]["Variables"],
              **template["Resources"][function]["Properties"]["Environment"]["Variables"]}
    sample = {"TABLE_NAME": "t", "SCAN_QUEUE_URL": "https://sqs/q", "REPORT_BUCKET": "b",
              "INVENTORY_PARAMETER_PATH": "/sliceaudit/clusters", "EKS_REGIONS": "eu-west-1",
              "INVENTORY_ROLE_ARNS": "", "OUTAGE_TOPIC_ARN": "", "POWERTOOLS_LOG_LEVEL": "INFO",
              "KUBECONFIG_SECRET_PREFIX": "sliceaudit/"}
    env = {k: sample.get(k, v if isinstance(v, str) else "30") for k, v in merged.items()}
    return {**env, "AWS_REGION": "eu-west-1"}


def test_the_environment_the_template_sets_is_what_the_functions_read(template):
    plan = PlanConfig.from_env(environment(template, "PlanFunction"))
    scan = ScanConfig.from_env(environment(template, "ScanFunction"))
    assert plan.queue_url and scan.bucket and scan.max_receive_count >= 1
    scan_env = template["Resources"]["ScanFunction"]["Properties"]["Environment"]["Variables"]
    assert scan_env["MAX_RECEIVE_COUNT"] == template["Resources"]["ScanQueue"]["Properties"][
        "RedrivePolicy"]["maxReceiveCount"]
