"""The one list of kinds (api.kinds) reaches the client, the decoder and the simulator."""

import pytest

from sliceaudit.api import kinds
from sliceaudit.api.decode import KINDS as RECORD_KINDS
from sliceaudit.kube.resources import RESOURCES, resource
from sliceaudit.sim.apiserver.resources import resource as served

# The resource_path of each list_*_for_all_namespaces / list_namespaced_* method in the kubernetes
# client's generated code (kubernetes 37.0.1, client/api/{core,apps,discovery}_v1_api.py), which the
# client no longer imports (their pydantic models cost ~25 MB) but must request alike.
GENERATED_PATHS = {
    "Service": "/api/v1/services", "Pod": "/api/v1/pods",
    "EndpointSlice": "/apis/discovery.k8s.io/v1/endpointslices",
    "ReplicaSet": "/apis/apps/v1/replicasets", "Deployment": "/apis/apps/v1/deployments",
    "StatefulSet": "/apis/apps/v1/statefulsets", "DaemonSet": "/apis/apps/v1/daemonsets",
}


@pytest.mark.parametrize("name", kinds.SCANNED)
def test_every_scanned_kind_lists_where_the_generated_client_does_and_decodes(name):
    res = resource(name)
    prefix, plural = GENERATED_PATHS[name].rsplit("/", 1)
    assert (res.path(None), res.path("ns")) == (GENERATED_PATHS[name], f"{prefix}/namespaces/{{namespace}}/{plural}")
    assert RECORD_KINDS[name].__name__ == name


@pytest.mark.parametrize("name", kinds.SCANNED + kinds.PREDICT_LIVE)
def test_the_simulator_serves_what_sliceaudit_lists(name):
    kind = kinds.kind(name)
    assert (served(name).api_version, served(name).plural) == (kind.api_version, kind.plural)


def test_rbac_names_and_unknown_kinds():
    assert [RESOURCES[k].resource for k in kinds.AUDITED] == ["services", "endpointslices.discovery.k8s.io"]
    with pytest.raises(ValueError, match="unsupported kind 'Secret'"):
        resource("Secret")
    with pytest.raises(ValueError, match="unsupported kind 'Secret'"):
        kinds.kind("Secret")
