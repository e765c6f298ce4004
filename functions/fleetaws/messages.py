"""The scan request: one SQS message per cluster and run, JSON on the wire."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class BadMessage(ValueError):
    """A message body that is not a scan request; the one line says why."""


@dataclass(frozen=True)
class ClusterTarget:
    """One cluster of the inventory: how to reach it, without any secret in the message."""

    name: str                                               # unique in the fleet; names the cluster in reports
    access: Mapping[str, Any] | None = field(default=None, hash=False)  # ClusterAccess.to_dict() (EKS)
    kubeconfig_secret: str | None = None                    # Secrets Manager id of a kubeconfig
    context: str | None = None                              # context in that kubeconfig (default: current)

    def __post_init__(self) -> None:
        if not self.name:
            raise BadMessage("cluster name is empty")
        if (self.access is None) == (self.kubeconfig_secret is None):
            raise BadMessage(f"cluster {self.name}: give exactly one of access or kubeconfig_secret")


@dataclass(frozen=True)
class ScanRequest:
    run_id: str
    run_size: int    # clusters in the run: the scan that completes the count writes the fleet report
    target: ClusterTarget

    def to_json(self) -> str:
        body: dict[str, Any] = {"run_id": self.run_id, "run_size": self.run_size, "cluster": self.target.name}
        if self.target.access is not None:
            body["access"] = dict(self.target.access)
        else:
            body["kubeconfig_secret"] = self.target.kubeconfig_secret
            if self.target.context:
                body["context"] = self.target.context
        return json.dumps(body, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, body: str) -> ScanRequest:
        try:
            data = json.loads(body)
        except (TypeError, ValueError) as err:
            raise BadMessage(f"message body is not JSON: {err}") from None
        if not isinstance(data, dict):
            raise BadMessage("message body is not a JSON object")
        run_id, cluster = data.get("run_id"), data.get("cluster")
        if not isinstance(run_id, str) or not run_id or not isinstance(cluster, str):
            raise BadMessage("message lacks run_id or cluster")
        run_size = data.get("run_size", 1)
        if not isinstance(run_size, int) or isinstance(run_size, bool) or run_size < 1:
            raise BadMessage(f"cluster {cluster}: run_size must be a positive integer")
        access = data.get("access")
        if access is not None and not isinstance(access, dict):
            raise BadMessage(f"cluster {cluster}: access is not an object")
        secret, context = data.get("kubeconfig_secret"), data.get("context")
        if not isinstance(secret, (str, type(None))) or not isinstance(context, (str, type(None))):
            raise BadMessage(f"cluster {cluster}: kubeconfig_secret and context must be strings")
        return cls(run_id, run_size, ClusterTarget(cluster, access, secret, context))
