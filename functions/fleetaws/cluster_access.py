"""How to reach a cluster of the inventory, by its name (sliceaudit.live.scan audits it)."""

from __future__ import annotations

from dataclasses import replace

from fleetaws.clients import client
from fleetaws.config import InventoryConfig
from fleetaws.inventory import find_target
from fleetaws.secrets import read_kubeconfig
from sliceaudit.kube.clusters import ClusterAccess, kubeconfig_clusters
from sliceaudit.kube.errors import ClusterError


def access_for(config: InventoryConfig, run_id: str, name: str) -> ClusterAccess:
    """How to reach the inventory's cluster `name` (the access is named so); a kubeconfig's content comes
    from Secrets Manager now."""
    target = find_target(config, run_id, name)
    if target is None:
        raise ClusterError(f"{name} is not a cluster of the inventory (SSM {config.parameter_path or '-'}, "
                           f"EKS in {', '.join(config.eks_regions) or '-'})", reason="config")
    if target.access is not None:
        return target.access
    kubeconfig = read_kubeconfig(client(config.aws, "secretsmanager"), target.kubeconfig_secret)
    access = kubeconfig_clusters(kubeconfig, contexts=(target.context,) if target.context else ())[0]
    return replace(access, name=name)

