"""Helpers for the Kubernetes access tests: kubeconfigs and accesses for simulated servers."""

from sliceaudit.kube.clusters import ClusterAccess
from sliceaudit.sim.fleetrun import kubeconfig_for as fleet_kubeconfig


def kubeconfig_for(server, *, name="sim", token=None, ca_data=None, url=None) -> dict:
    """A one-context kubeconfig (content) for a simulated server, with a credential or address swapped."""
    config = fleet_kubeconfig({name: server})
    cluster = config["clusters"][0]["cluster"]
    cluster["server"] = url or cluster["server"]
    cluster["certificate-authority-data"] = ca_data or cluster["certificate-authority-data"]
    config["users"][0]["user"]["token"] = token or server.token
    return config


def access_for(server, **kwargs) -> ClusterAccess:
    config = kubeconfig_for(server, **kwargs)
    return ClusterAccess(name=config["current-context"], source="kubeconfig", kubeconfig=config,
                         context=config["current-context"])
