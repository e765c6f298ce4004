"""The planner: on schedule, the fleet inventory becomes one scan request per cluster on the queue."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from fleetaws.clients import client
from fleetaws.config import PlanConfig
from fleetaws.inventory import load_inventory
from fleetaws.messages import ScanRequest
from fleetaws.queue import send_requests
from fleetaws.run_id import run_id_for

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    config = PlanConfig.from_env(os.environ)
    run_id = run_id_for(event, datetime.now(UTC))
    logger.append_keys(run_id=run_id)
    inventory = load_inventory(config.inventory)
    for problem in inventory.problems:
        logger.warning(f"inventory: {problem}")
    metrics.add_metric(name="ClustersPlanned", unit=MetricUnit.Count, value=len(inventory.targets))
    metrics.add_metric(name="InventoryProblems", unit=MetricUnit.Count, value=len(inventory.problems))
    if not inventory.targets:
        logger.error("the fleet inventory is empty: nothing to scan")
        return {"run_id": run_id, "clusters": 0, "problems": len(inventory.problems)}
    requests = [ScanRequest(run_id, len(inventory.targets), t.name) for t in inventory.targets]
    sent = send_requests(client(config.aws, "sqs"), config.queue_url, requests)
    logger.info("run planned", extra={"clusters": sent, "problems": len(inventory.problems)})
    return {"run_id": run_id, "clusters": sent, "problems": len(inventory.problems)}
