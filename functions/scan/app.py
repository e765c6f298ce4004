"""The scanner: one SQS record per cluster; a cluster that fails is a batch item failure, never a lost batch."""

from __future__ import annotations

import functools
import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from fleetaws.config import ScanConfig
from fleetaws.messages import BadMessage, ScanRequest
from fleetaws.scanner import ScanFailed, handle_request

# A batch whose every record failed is reported record by record too, like any other.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
logger = Logger()
tracer = Tracer()
metrics = Metrics()


def record_handler(record: SQSRecord, lambda_context: LambdaContext, *, config: ScanConfig) -> str:
    try:
        request = ScanRequest.from_json(record.body)
    except BadMessage as err:
        metrics.add_metric(name="MalformedRequests", unit=MetricUnit.Count, value=1)
        logger.error(f"not a scan request (message {record.message_id}): {err}")
        raise
    logger.append_keys(run_id=request.run_id, cluster=request.cluster)
    try:
        with tracer.provider.in_subsegment("## scan cluster") as subsegment:
            subsegment.put_annotation("cluster", request.cluster)
            subsegment.put_annotation("run_id", request.run_id)
            state = handle_request(request, config, remaining_ms=lambda_context.get_remaining_time_in_millis(),
                                   attempt=int(record.attributes.approximate_receive_count or 1), log=logger)
    except Exception as err:
        metrics.add_metric(name="ClustersFailed", unit=MetricUnit.Count, value=1)
        if isinstance(err, ScanFailed):
            logger.warning(str(err))   # one line, already secret-free
        else:
            logger.exception("scan request failed; it will be retried")
        raise
    finally:
        logger.remove_keys(["run_id", "cluster"])
    metrics.add_metric(name="ClustersScanned", unit=MetricUnit.Count, value=1 if state == "scanned" else 0)
    return state


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    # Read once per invocation: a bad setting fails the invocation (every record retried), not each record.
    config = ScanConfig.from_env(os.environ)
    return process_partial_response(event=event, record_handler=functools.partial(record_handler, config=config),
                                    processor=processor, context=context)
