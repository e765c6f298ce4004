"""Kubeconfig content: shape errors in one line, kubectl's merge, and what a secret's kubeconfig may hold."""

import base64
import urllib.parse

import pytest
import yaml

from sliceaudit.kube.clusters import ClusterAccess, connect, kubeconfig_clusters
from sliceaudit.kube.errors import ClusterError
from sliceaudit.kube.kubeconfig import EksGetToken, eks_get_token

SERVER = "https://127.0.0.1:6443"


def config(user: dict, cluster: dict | None = None) -> dict:
    return {"current-context": "k", "contexts": [{"name": "k", "context": {"cluster": "k", "user": "k"}}],
            "clusters": [{"name": "k", "cluster": cluster or {"server": SERVER}}],
            "users": [{"name": "k", "user": user}]}


@pytest.mark.parametrize(("content", "message"), [
    (["a"], "not a kubeconfig (a mapping), but a list"),
    ("text", "not a kubeconfig (a mapping), but a string"),
    ({"contexts": {"k": {}}}, "contexts must be a list, not a mapping"),
    ({"contexts": ["k"]}, "contexts[0] must be a mapping with a name"),
    ({"contexts": [{"name": 5}]}, "contexts[0] must be a mapping with a name"),
    ({"current-context": ["k"], "contexts": []}, "current-context must be a string"),
    ({**config({}), "users": [{"name": "k", "user": ["token"]}]}, "users[0] (k): user must be a mapping, not a list"),
    (config({"token": 12345}), "user.token must be a string, not a number"),
    (config({}, {"server": ["https://x"]}), "cluster.server must be a string, not a list"),
    (config({"exec": "aws"}), "user.exec must be a mapping"),
    (config({"exec": {"command": "x", "args": "eks get-token"}}), "user.exec.args must be a list of strings"),
    (config({"exec": {"command": "x", "env": {"A": "b"}}}), "user.exec.env must be a list"),
])
def test_a_kubeconfig_of_the_wrong_shape_is_one_line(tmp_path, content, message):
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(content))
    for source in [str(path)] + ([content] if isinstance(content, dict) else []):   # a file, or content
        with pytest.raises(ClusterError) as err:
            for access in kubeconfig_clusters(source, all_contexts=True):
                connect(access)
        assert message in str(err.value) and "\n" not in str(err.value)


def test_files_merge_as_kubectl_merges_them(tmp_path):
    """client-go tools/clientcmd/loader.go (Load): the first file to name an entry, or to set
    current-context, wins; relative file references resolve against their own file's folder."""
    first, second = tmp_path / "one" / "config", tmp_path / "two" / "config"
    first.parent.mkdir()
    second.parent.mkdir()
    first.write_text(yaml.safe_dump({**config({"token": "first"}), "current-context": "k"}))
    other = config({"token": "second"})
    other["contexts"].append({"name": "extra", "context": {"cluster": "k", "user": "k"}})
    other["clusters"][0]["cluster"]["certificate-authority"] = "ca.crt"
    (second.parent / "ca.crt").write_text("not a real CA")
    second.write_text(yaml.safe_dump({**other, "current-context": "extra"}))
    accesses = kubeconfig_clusters(f"{first}:{second}", all_contexts=True)
    assert [a.name for a in accesses] == ["k", "extra"]
    assert [a.name for a in kubeconfig_clusters(f"{first}:{second}")] == ["k"]
    with connect(accesses[1]) as client:
        assert client.api_client.configuration.get_api_key_with_prefix("BearerToken") == "Bearer first"


@pytest.mark.parametrize(("user", "cluster", "message"), [
    ({"tokenFile": "/proc/self/environ"}, None, "user.tokenFile names a file"),
    ({"client-certificate": "/etc/hostname", "client-key": "/etc/hostname"}, None, "user.client-certificate names"),
    ({"token": "t"}, {"server": SERVER, "certificate-authority": "/etc/ssl/certs/ca.pem"},
     "cluster.certificate-authority names a file"),
    ({"auth-provider": {"name": "oidc", "config": {}}}, None, "user.auth-provider is not allowed"),
    ({"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "sh", "args": ["-c", "touch M"]}},
     None, "user.exec runs 'sh'"),
    ({"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
               "args": ["eks", "get-token", "--cluster-name", "x", "--endpoint-url", "https://evil"]}},
     None, "the only exec entry allowed"),
])
def test_a_secret_kubeconfig_reads_no_file_and_runs_nothing(tmp_path, monkeypatch, user, cluster, message):
    monkeypatch.chdir(tmp_path)
    access = ClusterAccess(name="k", source="kubeconfig", kubeconfig=config(user, cluster), context="k")
    with pytest.raises(ClusterError) as err:
        connect(access)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []   # the exec entry's `touch M` never ran


# What `aws eks update-kubeconfig` writes (aws-cli awscli/customizations/eks/update_kubeconfig.py,
# get_user_entry, 1.x and 2.x), and hand-made variants of the same command.
GET_TOKEN = [
    ({"command": "aws", "args": ["--region", "eu-west-1", "eks", "get-token", "--cluster-name", "prod",
                                 "--output", "json", "--role", "arn:aws:iam::111111111111:role/r"],
      "env": [{"name": "AWS_PROFILE", "value": "ops"}]},
     EksGetToken("prod", "eu-west-1", "arn:aws:iam::111111111111:role/r")),
    ({"command": "aws", "args": ["--region", "us-east-1", "eks", "get-token", "--cluster-name", "p"]},
     EksGetToken("p", "us-east-1", None)),
    ({"command": "aws", "args": ["eks", "get-token", "--cluster-name=p", "--role-arn=arn:aws:iam::1:role/x"],
      "env": [{"name": "AWS_REGION", "value": "ap-south-1"}]},
     EksGetToken("p", "ap-south-1", "arn:aws:iam::1:role/x")),
    ({"command": "aws", "args": ["eks", "get-token", "--cluster-name", "p"]}, EksGetToken("p", None, None)),
    ({"command": "aws", "args": ["eks", "get-token", "--cluster-id", "abc"]}, None),          # Outposts
    ({"command": "aws", "args": ["eks", "get-token", "--cluster-name", "p", "--no-verify-ssl"]}, None),
    ({"command": "aws", "args": ["s3", "cp", "x", "y"]}, None),
    ({"command": "aws", "args": ["eks", "get-token"]}, None),
    ({"command": "/tmp/aws", "args": ["eks", "get-token", "--cluster-name", "p"]}, None),
    ({"command": "aws-iam-authenticator", "args": ["token", "-i", "p"]}, None),
]


@pytest.mark.parametrize(("exec_", "expected"), GET_TOKEN)
def test_only_the_aws_eks_get_token_entry_is_recognised(exec_, expected):
    assert eks_get_token(exec_) == expected


def test_the_aws_eks_get_token_entry_is_served_in_process(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "AKIATESTTESTTESTTEST", "AWS_SECRET_ACCESS_KEY": "secret",
                       "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}.items():
        monkeypatch.setenv(key, value)
    exec_ = {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
             "args": ["--region", "eu-west-1", "eks", "get-token", "--cluster-name", "prod"]}
    access = ClusterAccess(name="k", source="kubeconfig", kubeconfig=config({"exec": exec_}), context="k")
    with connect(access) as client:
        bearer = client.api_client.configuration.get_api_key_with_prefix("BearerToken")
    token = bearer.removeprefix("Bearer k8s-aws-v1.")
    url = urllib.parse.urlsplit(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
    assert url.netloc == "sts.eu-west-1.amazonaws.com"
    assert "x-k8s-aws-id" in urllib.parse.parse_qs(url.query)["X-Amz-SignedHeaders"][0]
