"""Batch writes AWS accepts: DynamoDB takes 25 items per BatchWriteItem, SQS ten per SendMessageBatch.

moto accepts larger batches, so the calls themselves are counted (botocore's event hooks).
"""

from __future__ import annotations

import contextlib

import pytest

from fleetaws.clients import client
from fleetaws.dynamo import batch_put, query_all
from fleetaws.messages import ScanRequest
from fleetaws.queue import SendFailed, send_requests


@contextlib.contextmanager
def recorded_calls(boto_client, operation: str, count):
    """The size of every `operation` call the client makes inside the block."""
    sizes: list[int] = []
    event = f"before-parameter-build.{boto_client.meta.service_model.endpoint_prefix}.{operation}"
    boto_client.meta.events.register(event, lambda params, **_: sizes.append(count(params)), unique_id="sizes")
    try:
        yield sizes
    finally:
        boto_client.meta.events.unregister(event, unique_id="sizes")


@pytest.mark.parametrize("items, calls", [(1, [1]), (25, [25]), (26, [25, 1]), (60, [25, 25, 10])])
def test_history_writes_go_in_batches_of_at_most_25(aws, stack, items, calls):
    ddb = client(aws, "dynamodb")
    rows = [{"pk": "SVC#c1", "sk": f"ns/svc-{i:03d}", "status": "outage", "codes": ["NULL_PORTS"]}
            for i in range(items)]
    with recorded_calls(ddb, "BatchWriteItem", lambda p: sum(len(v) for v in p["RequestItems"].values())) as sizes:
        assert batch_put(ddb, stack.table, rows) == items
    assert sizes == calls
    stored = query_all(ddb, TableName=stack.table, KeyConditionExpression="pk = :pk",
                       ExpressionAttributeValues={":pk": {"S": "SVC#c1"}})
    assert len(stored) == items


class Throttled:
    """A DynamoDB that leaves some items unprocessed the first time, as AWS does under load."""

    def __init__(self):
        self.calls: list[int] = []

    def batch_write_item(self, RequestItems):
        (table, requests), = RequestItems.items()
        self.calls.append(len(requests))
        if len(self.calls) == 1:
            return {"UnprocessedItems": {table: requests[:3]}}
        return {"UnprocessedItems": {}}


def test_unprocessed_items_are_written_again():
    fake = Throttled()
    batch_put(fake, "t", [{"pk": "p", "sk": str(i)} for i in range(10)], sleep=lambda s: None)
    assert fake.calls == [10, 3]


def requests(n: int) -> list[ScanRequest]:
    return [ScanRequest("r1", n, f"c{i:02d}") for i in range(n)]


def test_scan_requests_go_in_batches_of_ten(aws, stack):
    sqs = client(aws, "sqs")
    with recorded_calls(sqs, "SendMessageBatch", lambda p: len(p["Entries"])) as sizes:
        assert send_requests(sqs, stack.queue_url, requests(23)) == 23
    assert sizes == [10, 10, 3]
    attrs = sqs.get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "23"


class Flaky:
    """An SQS that fails some entries: once for a service fault, always for a sender fault."""

    def __init__(self, sender_fault: bool):
        self.sender_fault = sender_fault
        self.calls: list[list[str]] = []

    def send_message_batch(self, QueueUrl, Entries):
        ids = [e["Id"] for e in Entries]
        self.calls.append(ids)
        failing = ids[:2] if (self.sender_fault or len(self.calls) == 1) else []
        return {"Successful": [{"Id": i} for i in ids if i not in failing],
                "Failed": [{"Id": i, "SenderFault": self.sender_fault, "Code": "X", "Message": "nope"}
                           for i in failing]}


def test_failed_entries_are_sent_again():
    fake = Flaky(sender_fault=False)
    assert send_requests(fake, "q", requests(4), sleep=lambda s: None) == 4
    assert fake.calls == [["0", "1", "2", "3"], ["0", "1"]]


def test_entries_the_queue_rejects_are_named_in_one_line():
    with pytest.raises(SendFailed, match=r"^2 scan request\(s\) not queued: c00: nope; c01: nope$"):
        send_requests(Flaky(sender_fault=True), "q", requests(4), sleep=lambda s: None)
