"""The AWS wiring of template.yaml, played locally: its resources on any endpoint (moto's server),
a Lambda context, and the SQS event source mapping that feeds the scan function.

Used by the demo and the tests; never imported in Lambda.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleetaws.clients import client
from fleetaws.config import AwsEnv

EVENTS = Path(__file__).resolve().parents[2] / "events"
# Variables that would point boto3 at a real account; a local run goes without them.
REAL_AWS_VARIABLES = ("AWS_SESSION_TOKEN", "AWS_PROFILE")


def fake_aws_env(endpoint_url: str, region: str, access_key: str, secret_key: str) -> dict[str, str]:
    """Every AWS client at `endpoint_url` (moto's server) with throwaway credentials, no instance metadata
    and no ~/.aws files; unset REAL_AWS_VARIABLES as well."""
    return {"AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key, "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region, "AWS_ENDPOINT_URL": endpoint_url, "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


@dataclass(frozen=True)
class LocalStack:
    """Names of the resources template.yaml creates, and the environment each function then gets."""

    aws: AwsEnv
    prefix: str     # names every resource, and the SSM path and secrets of this stack's inventory
    table: str
    bucket: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    topic_arn: str | None = None

    @property
    def inventory_path(self) -> str:
        return f"/{self.prefix}/clusters"

    def function_env(self, **extra: str) -> dict[str, str]:
        env = {"INVENTORY_PARAMETER_PATH": self.inventory_path, "TABLE_NAME": self.table,
               "REPORT_BUCKET": self.bucket, "SCAN_QUEUE_URL": self.queue_url,
               "POWERTOOLS_SERVICE_NAME": "sliceaudit", "POWERTOOLS_METRICS_NAMESPACE": "SliceAudit",
               "POWERTOOLS_TRACE_DISABLED": "true", "OUTAGE_TOPIC_ARN": self.topic_arn or ""}
        env.update(extra)
        return env


def create_stack(aws: AwsEnv, prefix: str | None = None, *, max_receive_count: int = 3,
                 outage_topic: bool = False) -> LocalStack:
    """The table, bucket, queue (with its dead-letter queue) and optional topic, as template.yaml has them."""
    prefix = prefix or f"sliceaudit-{uuid.uuid4().hex[:8]}"
    ddb = client(aws, "dynamodb")
    table = f"{prefix}-findings"
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                     SSESpecification={"Enabled": True})
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True,
                                                                      "AttributeName": "expires_at"})
    s3 = client(aws, "s3")
    bucket = f"{prefix}-reports"
    if aws.region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": aws.region})
    sqs = client(aws, "sqs")
    dlq_url = sqs.create_queue(QueueName=f"{prefix}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=f"{prefix}-scan", Attributes={
        "VisibilityTimeout": "1800",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}),
    })["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_arn = client(aws, "sns").create_topic(Name=f"{prefix}-outages")["TopicArn"] if outage_topic else None
    return LocalStack(aws, prefix, table, bucket, queue_url, queue_arn, dlq_url, topic_arn)


class LambdaContext:
    """What Lambda hands a handler: names, and the time left before the timeout."""

    def __init__(self, function_name: str, timeout_seconds: float = 300, memory_mb: int = 1024,
                 clock: Callable[[], float] = time.monotonic):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-1:123456789012:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._clock = clock
        self._deadline = clock() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._clock()) * 1000))


def load_event(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def sqs_event(messages: list[Mapping[str, Any]], queue_arn: str, region: str) -> dict:
    """Received SQS messages as the event Lambda's event source mapping sends (events/scan-sqs.json)."""
    template = load_event("scan-sqs.json")["Records"][0]
    records = []
    for m in messages:
        record = dict(template, messageId=m["MessageId"], receiptHandle=m["ReceiptHandle"], body=m["Body"],
                      md5OfBody=m.get("MD5OfBody", ""), eventSourceARN=queue_arn, awsRegion=region)
        record["attributes"] = {**template["attributes"], **m.get("Attributes", {})}
        records.append(record)
    return {"Records": records}


@dataclass
class Delivery:
    """What the event source mapping did: invocations, and receipts that succeeded or failed."""

    invocations: int = 0
    succeeded: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)   # message ids reported as batch item failures


def deliver(stack: LocalStack, handler: Callable[[dict, Any], dict], *, batch_size: int = 2,
            timeout_seconds: float = 300, max_invocations: int = 100,
            context: Callable[[], Any] | None = None) -> Delivery:
    """Feeds the queue to `handler` until it is empty, as Lambda does with ReportBatchItemFailures.

    Failed records become visible again at once (Lambda waits for the visibility timeout), so the
    queue's redrive policy moves them to the dead-letter queue after maxReceiveCount receives.
    """
    sqs = client(stack.aws, "sqs")
    done = Delivery()
    empty_polls = 0
    while done.invocations < max_invocations and empty_polls < 2:
        got = sqs.receive_message(QueueUrl=stack.queue_url, MaxNumberOfMessages=batch_size,
                                  AttributeNames=["All"], WaitTimeSeconds=0).get("Messages", [])
        if not got:
            empty_polls += 1
            continue
        empty_polls = 0
        ctx = context() if context else LambdaContext("sliceaudit-scan", timeout_seconds)
        response = handler(sqs_event(got, stack.queue_arn, stack.aws.region), ctx)
        done.invocations += 1
        failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
        for m in got:
            if m["MessageId"] in failed:
                done.failed += 1
                done.failures.append(m["MessageId"])
                sqs.change_message_visibility(QueueUrl=stack.queue_url, ReceiptHandle=m["ReceiptHandle"],
                                              VisibilityTimeout=0)
            else:
                done.succeeded += 1
                sqs.delete_message(QueueUrl=stack.queue_url, ReceiptHandle=m["ReceiptHandle"])
    return done


def register_kubeconfig(stack: LocalStack, kubeconfig: Mapping[str, Any], contexts: list[str],
                        secret_name: str | None = None) -> str:
    """Stores a kubeconfig in Secrets Manager and lists each context as a cluster of the inventory."""
    secret_name = secret_name or f"sliceaudit/{stack.prefix}/kubeconfig"
    client(stack.aws, "secretsmanager").create_secret(Name=secret_name, SecretString=json.dumps(kubeconfig))
    for context in contexts:
        put_inventory_entry(stack, context, {"source": "kubeconfig", "secret": secret_name, "context": context})
    return secret_name


def register_eks(stack: LocalStack, name: str, region: str, *, endpoint: str | None = None,
                 ca_data: str | None = None, role_arn: str | None = None) -> None:
    entry = {"source": "eks", "cluster": name, "region": region, "endpoint": endpoint, "ca_data": ca_data,
             "role_arn": role_arn}
    put_inventory_entry(stack, name, {k: v for k, v in entry.items() if v})


def put_inventory_entry(stack: LocalStack, name: str, entry: Mapping[str, Any] | str) -> None:
    value = entry if isinstance(entry, str) else json.dumps(entry)
    client(stack.aws, "ssm").put_parameter(Name=f"{stack.inventory_path}/{name}", Value=value,
                                           Type="SecureString", Overwrite=True)
