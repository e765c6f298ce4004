"""Helpers for the Kubernetes access tests: kubeconfigs and accesses for simulated servers."""

from sliceaudit.kube.clusters import ClusterAccess


def kubeconfig_for(server, *, name="sim", token=None, ca_data=None, url=None) -> dict:
    """A one-context kubeconfig (content) for a simulated server."""
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": name,
        "clusters": [{"name": name, "cluster": {"server": url or server.url,
                                                "certificate-authority-data": ca_data or server.ca_data}}],
        "users": [{"name": name, "user": {"token": token or server.token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
    }


def access_for(server, **kwargs) -> ClusterAccess:
    config = kubeconfig_for(server, **kwargs)
    return ClusterAccess(name=config["current-context"], source="kubeconfig", kubeconfig=config,
                         context=config["current-context"])
