"""Run bookkeeping in DynamoDB: one summary item per (run, cluster), counted once, and the run's tally.

A redelivered message finds its summary item and is not counted again. Once the count is complete,
the first scan to claim the run writes the fleet report; the claim makes that happen once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from fleetaws.dynamo import key, query_all, to_item


def run_pk(run_id: str) -> str:
    return f"RUN#{run_id}"


def cluster_sk(cluster: str) -> str:
    return f"CLUSTER#{cluster}"


def already_recorded(dynamodb, table: str, run_id: str, cluster: str) -> bool:
    found = dynamodb.get_item(TableName=table, Key=key(run_pk(run_id), cluster_sk(cluster)),
                              ConsistentRead=True, ProjectionExpression="pk")
    return "Item" in found


def record_cluster(dynamodb, table: str, run_id: str, run_size: int, summary: Mapping[str, Any],
                   expires_at: int) -> bool:
    """Writes the cluster's summary and counts it toward the run, both or neither.

    False when the summary was already there (a redelivered or concurrent duplicate): nothing counted.
    """
    item = {**summary, "pk": run_pk(run_id), "sk": cluster_sk(summary["cluster"]), "kind": "cluster",
            "run_id": run_id, "expires_at": expires_at}
    try:
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Update": {
                "TableName": table, "Key": key(run_pk(run_id), "RUN"),
                "UpdateExpression": "ADD #reported :one SET #expected = if_not_exists(#expected, :n), "
                                    "#run = :run, #kind = :kind, #exp = :exp",
                "ExpressionAttributeNames": {"#reported": "reported", "#expected": "expected", "#run": "run_id",
                                             "#kind": "kind", "#exp": "expires_at"},
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":n": {"N": str(run_size)},
                                              ":run": {"S": run_id}, ":kind": {"S": "run"},
                                              ":exp": {"N": str(expires_at)}},
            }},
        ])
    except ClientError as err:
        reasons = err.response.get("CancellationReasons") or []
        if err.response["Error"]["Code"] == "TransactionCanceledException" and reasons and \
                reasons[0].get("Code") == "ConditionalCheckFailed":
            return False
        raise
    return True


def claim_report(dynamodb, table: str, run_id: str, now: int, until: int) -> bool:
    """True for the one caller that writes the run's report: every cluster counted, no report yet, and
    no live claim. The claim lasts `until` the claimer's invocation ends (epoch seconds): a writer that
    died lets a later delivery, which comes after the queue's visibility timeout, take over."""
    try:
        dynamodb.update_item(
            TableName=table, Key=key(run_pk(run_id), "RUN"),
            UpdateExpression="SET #claim = :until",
            ConditionExpression="#reported >= #expected AND attribute_not_exists(#report) "
                                "AND (attribute_not_exists(#claim) OR #claim < :now)",
            ExpressionAttributeNames={"#claim": "report_claimed_until", "#reported": "reported",
                                      "#expected": "expected", "#report": "report_key"},
            ExpressionAttributeValues={":until": {"N": str(until)}, ":now": {"N": str(now)}})
    except ClientError as err:
        if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def mark_reported(dynamodb, table: str, run_id: str, report_key: str, at: str) -> None:
    dynamodb.update_item(TableName=table, Key=key(run_pk(run_id), "RUN"),
                         UpdateExpression="SET #k = :k, #t = :t",
                         ExpressionAttributeNames={"#k": "report_key", "#t": "reported_at"},
                         ExpressionAttributeValues={":k": {"S": report_key}, ":t": {"S": at}})


def cluster_summaries(dynamodb, table: str, run_id: str) -> list[dict]:
    return query_all(dynamodb, TableName=table, ConsistentRead=True,
                     KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
                     ExpressionAttributeValues={":pk": {"S": run_pk(run_id)}, ":c": {"S": "CLUSTER#"}})
