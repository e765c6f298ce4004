"""EKS tokens like `aws eks get-token`, cluster details from eks:DescribeCluster (moto over HTTP)."""

import base64
from urllib.parse import parse_qs, urlsplit

import botocore.session
import pytest

from sliceaudit.kube.eks_token import TOKEN_REFRESH_SECONDS, EksTokenSource
from sliceaudit.kube.errors import ClusterError


def presigned_url(token: str) -> str:
    assert token.startswith("k8s-aws-v1.")
    body = token[len("k8s-aws-v1."):]
    assert "=" not in body and "+" not in body and "/" not in body   # unpadded base64url
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def test_token_is_a_presigned_get_caller_identity_with_the_cluster_header_signed(aws_env):
    url = presigned_url(EksTokenSource("prod-1", "eu-central-1").token())
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.scheme == "https"
    assert parts.hostname in ("sts.eu-central-1.amazonaws.com", "sts.amazonaws.com")
    assert query["Action"] == "GetCallerIdentity"
    assert query["X-Amz-Expires"] == "60"
    assert query["X-Amz-SignedHeaders"].split(";") == ["host", "x-k8s-aws-id"]
    assert query["X-Amz-Credential"].startswith("AKIATESTTESTTESTTEST/")


def test_token_is_cached_and_made_anew_before_it_expires(aws_env):
    session = botocore.session.get_session()
    signed: list[str] = []
    session.register("before-sign.sts.GetCallerIdentity", lambda request, **_: signed.append(
        request.context["x-k8s-aws-id"]))
    now = [1000.0]
    source = EksTokenSource("prod-1", "eu-west-1", session=session, clock=lambda: now[0])
    first = source.token()
    now[0] += TOKEN_REFRESH_SECONDS - 1
    assert source.token() == first
    assert signed == ["prod-1"]
    now[0] += 2
    source.token()
    assert signed == ["prod-1", "prod-1"]
    assert TOKEN_REFRESH_SECONDS < 14 * 60


def test_role_is_assumed_per_cluster(moto_env):
    url = presigned_url(EksTokenSource("prod-1", "eu-west-1", "arn:aws:iam::123456789012:role/audit").token())
    query = parse_qs(urlsplit(url).query)
    assert not query["X-Amz-Credential"][0].startswith("AKIATESTTESTTESTTEST/")   # the role's keys
    assert "X-Amz-Security-Token" in query
    assert url.startswith(moto_env)   # AWS_ENDPOINT_URL is honoured


def test_describe_cluster_returns_endpoint_and_ca(moto_env):
    eks = botocore.session.get_session().create_client("eks", region_name="eu-west-1")
    eks.create_cluster(name="described", roleArn="arn:aws:iam::123456789012:role/eks",
                       resourcesVpcConfig={"subnetIds": []})
    endpoint, ca = EksTokenSource("described", "eu-west-1").describe_cluster()
    assert endpoint.startswith("https://") and ca


def test_unknown_cluster_is_one_line(moto_env):
    with pytest.raises(ClusterError) as err:
        EksTokenSource("nope", "eu-west-1").describe_cluster()
    assert "ResourceNotFoundException" in str(err.value) and "\n" not in str(err.value)


def test_missing_credentials_is_one_line(aws_env):
    aws_env.delenv("AWS_ACCESS_KEY_ID")
    aws_env.delenv("AWS_SECRET_ACCESS_KEY")
    aws_env.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(ClusterError, match="no AWS credentials"):
        EksTokenSource("prod-1", "eu-west-1").token()
