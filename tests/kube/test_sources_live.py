"""Each cluster source against the simulated API server: EKS tokens it verifies, in-cluster tokens."""

import pytest

from sliceaudit.kube.clusters import ClusterAccess, connect, eks_cluster
from sliceaudit.kube.errors import ClusterError
from sliceaudit.live.fetch import fetch_snapshot
from sliceaudit.live.owners import Owners
from sliceaudit.sim.clusterserver import ClusterServer

KEY, SECRET = "AKIATESTTESTTESTTEST", "secret"   # the fake keys of the aws_env fixture


@pytest.fixture
def eks_server(cluster):
    # The server knows the secret key, so it checks the SigV4 signature over x-k8s-aws-id: prod-eks.
    with ClusterServer(cluster, eks_cluster="prod-eks", eks_secrets={KEY: SECRET}) as server:
        yield server


def test_eks_token_is_accepted_by_the_cluster_it_names(aws_env, eks_server, cluster):
    access = eks_cluster("prod-eks", "eu-west-1", endpoint=eks_server.url, ca_data=eks_server.ca_data)
    with connect(access) as client:
        snap = fetch_snapshot(client, owners=Owners.NONE)
        header = client.api_client.configuration.get_api_key_with_prefix("BearerToken")
    assert len(snap.slices) == len(cluster.objects["EndpointSlice"])
    assert header.startswith("Bearer k8s-aws-v1.")


def test_eks_token_for_another_cluster_is_rejected(aws_env, eks_server):
    access = eks_cluster("other", "eu-west-1", endpoint=eks_server.url, ca_data=eks_server.ca_data,
                         display_name="prod-eks")
    with connect(access) as client, pytest.raises(ClusterError, match=r"^unauthorized \(token rejected\)$"):
        fetch_snapshot(client, owners=Owners.NONE)


def test_eks_endpoint_and_ca_come_from_describe_cluster(aws_env, moto_url, eks_server, cluster):
    import botocore.session
    from moto.eks.models import eks_backends

    aws_env.setenv("AWS_ENDPOINT_URL_EKS", moto_url)   # STS stays AWS's name: tokens are only presigned
    eks = botocore.session.get_session().create_client("eks", region_name="eu-west-1")
    eks.create_cluster(name="prod-eks", roleArn="arn:aws:iam::123456789012:role/eks",
                       resourcesVpcConfig={"subnetIds": []})
    # moto invents an endpoint and a CA; point them at the simulated server (moto has no API for this).
    described = eks_backends["123456789012"]["eu-west-1"].clusters["prod-eks"]
    described.endpoint = eks_server.url + "/"
    described.certificate_authority = {"data": eks_server.ca_data}
    try:
        with connect(eks_cluster("prod-eks", "eu-west-1")) as client:
            assert client.host == eks_server.url
            snap = fetch_snapshot(client, owners=Owners.NONE)
        assert len(snap.services) == len(cluster.objects["Service"])
    finally:
        eks.delete_cluster(name="prod-eks")


def test_in_cluster_token_file_is_read_again_when_rotated(server, tmp_path, cluster):
    token = tmp_path / "token"
    token.write_text("expired-token\n")
    access = ClusterAccess(name="here", source="incluster", server=server.url, token_file=str(token),
                           ca_file=server.ca_file)
    with connect(access) as client:
        with pytest.raises(ClusterError, match="unauthorized"):
            fetch_snapshot(client, owners=Owners.NONE)
        token.write_text(server.token + "\n")   # the kubelet rotates the projected token
        assert len(fetch_snapshot(client, owners=Owners.NONE).slices) == len(cluster.objects["EndpointSlice"])


def test_missing_token_file_is_one_line(server, tmp_path):
    access = ClusterAccess(name="here", source="incluster", server=server.url,
                           token_file=str(tmp_path / "none"), ca_file=server.ca_file)
    with pytest.raises(ClusterError, match="service account token .*none: No such file"):
        connect(access)
