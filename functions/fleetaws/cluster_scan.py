"""One cluster's audit: reach it, list it before the deadline, run the core's rules."""

from __future__ import annotations

from dataclasses import replace

from fleetaws.messages import ClusterTarget
from fleetaws.secrets import read_kubeconfig
from sliceaudit.core.report import ClusterReport
from sliceaudit.kube.clusters import ClusterAccess, connect, kubeconfig_clusters
from sliceaudit.kube.errors import ClusterError
from sliceaudit.kube.live_audit import audit_live


def access_for(target: ClusterTarget, secretsmanager) -> ClusterAccess:
    """The target's ClusterAccess; a kubeconfig target's content comes from Secrets Manager now."""
    if target.access is not None:
        try:
            return ClusterAccess.from_dict(target.access)
        except (TypeError, ValueError) as err:
            raise ClusterError(f"cluster {target.name}: unusable access description: {err}", reason="config") \
                from None
    kubeconfig = read_kubeconfig(secretsmanager, target.kubeconfig_secret)
    access = kubeconfig_clusters(kubeconfig, contexts=(target.context,) if target.context else ())[0]
    return replace(access, name=target.name)


def scan_cluster(access: ClusterAccess, name: str, *, deadline: float, page_size: int, owners: str) -> ClusterReport:
    """The cluster's report; ClusterError (one line) when it cannot be read in time."""
    with connect(access) as client:
        return audit_live(client, name, owners=owners, page_size=page_size, deadline=deadline)
