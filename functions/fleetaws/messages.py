"""The scan request: one SQS message per cluster and run, JSON on the wire; it names a cluster, nothing more."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from fleetaws.run_id import SAFE_RUN_ID

# Inventory names: SSM parameter paths below the inventory path, EKS names, `region/name`, `account/region/name`.
SAFE_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$")


class BadMessage(ValueError):
    """A message body that is not a scan request; the one line says why."""


@dataclass(frozen=True)
class ScanRequest:
    """How to reach `cluster` is never in the message: the scanner looks the name up in the inventory
    it trusts (SSM, Secrets Manager, EKS). Any other field, such as an older planner's `access`, is ignored."""

    run_id: str
    run_size: int    # clusters in the run: the scan that completes the count writes the fleet report
    cluster: str     # a name of the fleet inventory

    def __post_init__(self) -> None:
        if not isinstance(self.cluster, str) or not SAFE_CLUSTER_NAME.match(self.cluster) or ".." in self.cluster:
            raise BadMessage("cluster must be an inventory name (1-255 letters, digits, '.', '_', '-', '/')")

    def to_json(self) -> str:
        body = {"run_id": self.run_id, "run_size": self.run_size, "cluster": self.cluster}
        return json.dumps(body, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, body: str) -> ScanRequest:
        try:
            data = json.loads(body)
        except (TypeError, ValueError, RecursionError) as err:
            raise BadMessage(f"message body is not JSON: {type(err).__name__}") from None
        if not isinstance(data, dict):
            raise BadMessage("message body is not a JSON object")
        run_id, cluster = data.get("run_id"), data.get("cluster")
        if not isinstance(run_id, str) or not run_id or not isinstance(cluster, str):
            raise BadMessage("message lacks run_id or cluster")
        if not SAFE_RUN_ID.match(run_id):
            raise BadMessage("run_id must be 1-64 letters, digits, '.', '_' or '-'")
        run_size = data.get("run_size", 1)
        if not isinstance(run_size, int) or isinstance(run_size, bool) or run_size < 1:
            raise BadMessage("run_size must be a positive integer")
        return cls(run_id, run_size, cluster)
