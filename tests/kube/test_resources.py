"""The one list of kinds (api.kinds) reaches the client, the decoder and the simulator."""

import pytest

from sliceaudit.api import kinds
from sliceaudit.api.decode import KINDS as RECORD_KINDS
from sliceaudit.kube.resources import RESOURCES, resource
from sliceaudit.sim.apiserver.resources import resource as served


@pytest.mark.parametrize("name", kinds.SCANNED)
def test_every_scanned_kind_lists_through_the_generated_client_and_decodes(name):
    res = resource(name)
    assert callable(getattr(res.api, res.list_all)) and callable(getattr(res.api, res.list_namespaced))
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
