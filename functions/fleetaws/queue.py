"""Sending scan requests: SendMessageBatch in chunks of ten, failed entries retried with backoff."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from fleetaws.messages import ScanRequest

BATCH = 10  # SendMessageBatch takes at most ten entries


class SendFailed(RuntimeError):
    """Some requests could not be queued after every retry."""


def chunks(items: Sequence, size: int) -> list[Sequence]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def send_requests(sqs, queue_url: str, requests: Sequence[ScanRequest], *, attempts: int = 5,
                  sleep: Callable[[float], None] = time.sleep) -> int:
    """Queues every request; returns how many were sent, or raises SendFailed naming the clusters left."""
    left: list[str] = []
    for chunk in chunks(list(requests), BATCH):
        pending = {str(i): r for i, r in enumerate(chunk)}
        for attempt in range(attempts):
            if attempt:
                sleep(min(0.2 * 2 ** attempt, 5.0))
            entries = [{"Id": i, "MessageBody": r.to_json()} for i, r in pending.items()]
            result = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
            for ok in result.get("Successful", []):
                pending.pop(ok["Id"], None)
            # Sender faults (a malformed entry) never succeed on retry; throttling and service faults may.
            for failed in result.get("Failed", []):
                if failed.get("SenderFault"):
                    left.append(f"{pending.pop(failed['Id']).cluster}: {failed.get('Message', 'rejected')}")
            if not pending:
                break
        left += [f"{r.cluster}: not accepted after {attempts} attempts" for r in pending.values()]
    if left:
        raise SendFailed(f"{len(left)} scan request(s) not queued: " + "; ".join(left[:5]))
    return len(requests)
