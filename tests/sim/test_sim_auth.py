"""Bearer tokens: the static token, and EKS tokens made by botocore the way `aws eks get-token` does."""

import base64
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import botocore.session
import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from sim_testkit import api_client

from sliceaudit.sim.apiserver.auth import TokenRejected, check_eks_token
from sliceaudit.sim.clusterserver import ClusterServer
from sliceaudit.sim.world.fleet import generate_cluster

KEY, SECRET = "AKIASIMULATORTEST001", "simulator-secret-key"


def eks_token(cluster: str, key: str = KEY, secret: str = SECRET, region: str = "eu-west-1") -> str:
    session = botocore.session.Session()
    sts = session.create_client("sts", region_name=region, aws_access_key_id=key, aws_secret_access_key=secret)

    def add_cluster_header(request, **_):
        request.headers["x-k8s-aws-id"] = cluster

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", add_cluster_header)
    url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def _edit(token: str, **params) -> str:
    url = urlsplit(base64.urlsafe_b64decode(token[11:] + "==").decode())
    query = dict(parse_qsl(url.query))
    query.update(params)
    new = url._replace(query=urlencode(query)).geturl()
    return "k8s-aws-v1." + base64.urlsafe_b64encode(new.encode()).decode().rstrip("=")


@pytest.fixture(scope="module")
def eks_server():
    cluster = generate_cluster("prod-eks", services=4, seed=1)
    with ClusterServer(cluster, eks_cluster="prod-eks", eks_secrets={KEY: SECRET}) as server:
        yield server


def _list(server, token):
    with api_client(server, token=token) as api:
        return k8s.CoreV1Api(api).list_service_for_all_namespaces()


def test_an_eks_token_for_this_cluster_is_accepted(eks_server):
    assert _list(eks_server, eks_token("prod-eks")).items


@pytest.mark.parametrize("token", [
    lambda: eks_token("other-cluster"),
    lambda: eks_token("prod-eks", secret="not-the-secret"),
    lambda: eks_token("prod-eks", key="AKIAUNKNOWNKEY000001"),
    lambda: "k8s-aws-v1.bm90IGEgdXJs",
    lambda: _edit(eks_token("prod-eks"), **{"X-Amz-SignedHeaders": "host"}),
    lambda: _edit(eks_token("prod-eks"), Action="AssumeRole"),
])
def test_other_tokens_are_401(eks_server, token):
    with pytest.raises(ApiException) as err:
        _list(eks_server, token())
    assert err.value.status == 401


def test_the_static_token_still_works(eks_server):
    assert _list(eks_server, eks_server.token).items


def test_without_secrets_the_structure_is_checked():
    token = eks_token("any-cluster")
    assert check_eks_token(token, "prod-eks") == KEY  # no key known: the cluster name cannot be proven
    with pytest.raises(TokenRejected, match="expired"):
        check_eks_token(token, "prod-eks", now=time.time() + 16 * 60)
    with pytest.raises(TokenRejected):
        check_eks_token(_edit(token, **{"X-Amz-Expires": "3600"}), "prod-eks")
