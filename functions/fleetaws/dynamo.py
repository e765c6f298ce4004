"""DynamoDB plumbing: plain dicts to attribute values and back, and batch writes AWS accepts."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

BATCH_WRITE = 25  # BatchWriteItem takes at most 25 requests (moto takes more; AWS answers ValidationException)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _dynamo_value(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, (list, tuple)):
        return [_dynamo_value(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _dynamo_value(v) for k, v in value.items()}
    return value


def to_item(data: Mapping[str, Any]) -> dict:
    """A dict (None values left out) as DynamoDB attribute values."""
    return {k: _serializer.serialize(_dynamo_value(v)) for k, v in data.items() if v is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, set):
        return sorted(_plain(v) for v in value)
    return value


def from_item(item: Mapping[str, Any]) -> dict:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def key(pk: str, sk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def batch_put(dynamodb, table: str, items: Sequence[Mapping[str, Any]], *, attempts: int = 8,
              sleep: Callable[[float], None] = time.sleep) -> int:
    """Puts every item in BatchWriteItem calls of at most 25, retrying unprocessed items with backoff."""
    written = 0
    for start in range(0, len(items), BATCH_WRITE):
        requests = [{"PutRequest": {"Item": to_item(i)}} for i in items[start:start + BATCH_WRITE]]
        for attempt in range(attempts):
            if attempt:
                sleep(min(0.05 * 2 ** attempt, 3.0))
            result = dynamodb.batch_write_item(RequestItems={table: requests})
            requests = result.get("UnprocessedItems", {}).get(table, [])
            if not requests:
                break
        else:
            raise RuntimeError(f"DynamoDB left {len(requests)} history item(s) unprocessed after {attempts} attempts")
        written += min(BATCH_WRITE, len(items) - start)
    return written


def query_all(dynamodb, **params) -> list[dict]:
    """Every item a Query returns, across pages, as plain dicts."""
    items: list[dict] = []
    for page in dynamodb.get_paginator("query").paginate(**params):
        items += [from_item(i) for i in page["Items"]]
    return items
