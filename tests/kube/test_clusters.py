"""Cluster sources: kubeconfig contexts (file or content), in-cluster, EKS; one client per cluster."""

import pytest
import yaml

from sliceaudit.kube.clusters import ClusterAccess, connect, eks_cluster, in_cluster, kubeconfig_clusters
from sliceaudit.kube.errors import ClusterError, shown_url


def kubeconfig(names, current="b"):
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": current,
        "clusters": [{"name": n, "cluster": {"server": f"https://127.0.0.1:{6440 + i}",
                                             "insecure-skip-tls-verify": True}} for i, n in enumerate(names)],
        "users": [{"name": n, "user": {"token": f"secret-{n}"}} for n in names],
        "contexts": [{"name": n, "context": {"cluster": n, "user": n}} for n in names],
    }


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(kubeconfig(["a", "b", "c"])))
    return str(path)


@pytest.mark.parametrize(("contexts", "all_contexts", "expected"), [
    ((), False, ["b"]),                 # the current context, like kubectl
    (("c", "a"), False, ["c", "a"]),    # as asked, in that order
    (("a", "a"), False, ["a"]),         # repeated once
    ((), True, ["a", "b", "c"]),        # every context in file order
])
def test_kubeconfig_file_selects_contexts(config_file, contexts, all_contexts, expected):
    accesses = kubeconfig_clusters(config_file, contexts, all_contexts)
    assert [a.name for a in accesses] == expected
    assert all(a.source == "kubeconfig" and a.kubeconfig_path == config_file for a in accesses)


def test_kubeconfig_content_works_like_a_file():
    accesses = kubeconfig_clusters(kubeconfig(["x", "y"]), all_contexts=True)
    assert [a.context for a in accesses] == ["x", "y"]
    with connect(accesses[1]) as client:
        assert client.host == "https://127.0.0.1:6441"
        cfg = client.api_client.configuration
        assert cfg.get_api_key_with_prefix("BearerToken") == "Bearer secret-y"


@pytest.mark.parametrize(("setup", "message"), [
    (lambda p: None, "no such file"),
    (lambda p: p.write_text("clusters: [unclosed"), "not valid YAML"),
    (lambda p: p.write_text(yaml.safe_dump(kubeconfig(["a"]))), "no context 'zzz' (has: a)"),
    (lambda p: p.write_text(yaml.safe_dump({**kubeconfig(["a"]), "current-context": ""})), "no current-context"),
])
def test_unusable_kubeconfig_is_one_clear_line(tmp_path, setup, message):
    path = tmp_path / "config"
    setup(path)
    with pytest.raises(ClusterError) as err:
        kubeconfig_clusters(str(path), ("zzz",) if "zzz" in message else ())
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_each_cluster_gets_its_own_configuration_and_tls_is_always_verified(config_file):
    from kubernetes.client import Configuration

    default_before = Configuration.get_default_copy().host
    first, second = kubeconfig_clusters(config_file, ("a", "b"))
    with connect(first) as a, connect(second) as b:
        assert a.api_client.configuration is not b.api_client.configuration
        assert (a.host, b.host) == ("https://127.0.0.1:6440", "https://127.0.0.1:6441")
        # insecure-skip-tls-verify in the kubeconfig is overruled
        assert a.api_client.configuration.verify_ssl and b.api_client.configuration.verify_ssl
    assert Configuration.get_default_copy().host == default_before


def test_missing_context_in_connect_is_a_cluster_error(config_file):
    access = ClusterAccess(name="gone", source="kubeconfig", kubeconfig_path=config_file, context="gone")
    with pytest.raises(ClusterError, match="kubeconfig context gone"):
        connect(access)


def test_access_repr_hides_kubeconfig_content_and_server_passwords():
    access = kubeconfig_clusters(kubeconfig(["k"], current="k"))[0]
    assert "secret-k" not in repr(access)
    eks = eks_cluster("prod", "eu-west-1", endpoint="https://admin:hunter2@x.eks.amazonaws.com", ca_data="Q0E=")
    assert repr(eks) == "ClusterAccess(name='prod', source='eks', server='https://***@x.eks.amazonaws.com', " \
                        "region='eu-west-1')"


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "x", "source": "gke"}, "source must be one of"),
    ({"name": "x", "source": "eks"}, "needs a region"),
    ({"name": "x", "source": "kubeconfig"}, "needs a path or content"),
])
def test_invalid_access_is_rejected(data, message):
    with pytest.raises(ValueError, match=message):
        ClusterAccess(**data)


def test_in_cluster_reads_the_service_environment():
    access = in_cluster(environ={"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"},
                        account_dir="/sa")
    assert (access.server, access.token_file, access.ca_file) == ("https://[fd00::1]:443", "/sa/token", "/sa/ca.crt")
    with pytest.raises(ClusterError, match="not running in a cluster"):
        in_cluster(environ={})


@pytest.mark.parametrize(("url", "shown"), [
    ("https://admin:hunter2@10.0.0.1:6443", "https://***@10.0.0.1:6443"),
    ("https://token@[fd00::1]:443/k8s/clusters/c-1?auth=hunter2", "https://***@[fd00::1]:443/k8s/clusters/c-1?***"),
    ("https://api.example.com", "https://api.example.com"),
    ("api.example.com:443", "api.example.com:443"),
    (None, ""),
])
def test_server_urls_are_shown_without_credentials(url, shown):
    assert shown_url(url) == shown


def test_the_client_names_its_server_without_credentials():
    config = kubeconfig(["k"], current="k")
    config["clusters"][0]["cluster"]["server"] = "https://admin:hunter2@127.0.0.1:6443"
    with connect(kubeconfig_clusters(config)[0]) as client:
        assert client.host == "https://***@127.0.0.1:6443" and "hunter2" not in repr(client)
