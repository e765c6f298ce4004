"""Exec credential plugins of a user's kubeconfig: run bounded, stderr never shown, answers checked."""

import json
import os
import sys
import time

import pytest
import yaml

from sliceaudit.kube.clusters import connect, kubeconfig_clusters
from sliceaudit.kube.errors import ClusterError
from sliceaudit.kube.exec_plugin import PluginTokens

API = "client.authentication.k8s.io/v1"


def plugin(tmp_path, body: str) -> str:
    """An executable Python script; it appends a line to `runs` each time it starts."""
    path = tmp_path / "plugin.py"
    path.write_text(f"#!{sys.executable}\nimport json, os, subprocess, sys, time\n"
                    f"open({str(tmp_path / 'runs')!r}, 'a').write('run\\n')\n{body}\n")
    path.chmod(0o755)
    return str(path)


def answer(status: dict, api: str = API) -> str:
    return f"print(json.dumps({json.dumps({'apiVersion': api, 'kind': 'ExecCredential', 'status': status})}))"


def kubeconfig_file(tmp_path, command: str) -> str:
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump({
        "current-context": "k", "contexts": [{"name": "k", "context": {"cluster": "k", "user": "k"}}],
        "clusters": [{"name": "k", "cluster": {"server": "https://127.0.0.1:6443"}}],
        "users": [{"name": "k", "user": {"exec": {"apiVersion": API, "command": command,
                                                  "env": [{"name": "EXTRA", "value": "1"}]}}}]}))
    return str(path)


def runs(tmp_path) -> int:
    path = tmp_path / "runs"
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_a_user_plugin_token_becomes_the_bearer_token(tmp_path):
    body = ("info = json.loads(os.environ['KUBERNETES_EXEC_INFO'])\n"
            "assert info['spec']['interactive'] is False and os.environ['EXTRA'] == '1'\n"
            + answer({"token": "from-plugin", "expirationTimestamp": "2999-01-01T00:00:00Z"}))
    access = kubeconfig_clusters(kubeconfig_file(tmp_path, plugin(tmp_path, body)))[0]
    with connect(access) as client:
        cfg = client.api_client.configuration
        for _ in range(3):
            cfg.refresh_api_key_hook(cfg)
        assert cfg.get_api_key_with_prefix("BearerToken") == "Bearer from-plugin"
    assert runs(tmp_path) == 1   # cached until it expires


def test_an_expired_credential_runs_the_plugin_again(tmp_path):
    tokens = PluginTokens({"apiVersion": API, "command": plugin(tmp_path, answer(
        {"token": "t", "expirationTimestamp": "2000-01-01T00:00:00Z"}))})
    assert [tokens.token(), tokens.token()] == ["t", "t"]
    assert runs(tmp_path) == 2


def test_a_plugin_past_the_deadline_is_killed_with_its_children(tmp_path):
    pid_file = tmp_path / "child"
    body = (f"child = subprocess.Popen(['sleep', '300'])\nopen({str(pid_file)!r}, 'w').write(str(child.pid))\n"
            "time.sleep(300)")
    access = kubeconfig_clusters(kubeconfig_file(tmp_path, plugin(tmp_path, body)))[0]
    with pytest.raises(ClusterError) as err:
        connect(access, deadline=time.monotonic() + 2)
    assert err.value.reason == "timeout" and "did not answer within" in str(err.value)
    child = int(pid_file.read_text())
    for _ in range(100):   # killed with its group; reaped by init shortly after
        if not _alive(child):
            break
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize(("body", "message"), [
    ("sys.stderr.write('token=SECRET-IN-STDERR\\n'); sys.exit(3)", "exited with status 3"),
    ("print('SECRET-IN-STDOUT not json')", "answer is not JSON"),
    (answer({"token": "t"}, api="client.authentication.k8s.io/v1beta1"), "answered apiVersion"),
    (answer({"expirationTimestamp": "2999-01-01T00:00:00Z"}), "neither a token nor a client certificate"),
    ("sys.stdout.write('x' * (2 * 1024 * 1024))", "answer larger than"),
])
def test_a_failing_plugin_is_one_line_without_its_output(tmp_path, body, message):
    access = kubeconfig_clusters(kubeconfig_file(tmp_path, plugin(tmp_path, body)))[0]
    with pytest.raises(ClusterError) as err:
        connect(access)
    text = str(err.value)
    assert message in text and "\n" not in text and "SECRET" not in text


def test_a_missing_plugin_is_named(tmp_path):
    access = kubeconfig_clusters(kubeconfig_file(tmp_path, "no-such-plugin-anywhere"))[0]
    with pytest.raises(ClusterError, match="'no-such-plugin-anywhere': command not found"):
        connect(access)


def test_a_relative_plugin_path_is_relative_to_the_kubeconfig(tmp_path, monkeypatch):
    plugin(tmp_path, answer({"token": "relative"}))
    access = kubeconfig_clusters(kubeconfig_file(tmp_path, "./plugin.py"))[0]
    monkeypatch.chdir(os.path.dirname(tmp_path))
    with connect(access) as client:
        assert client.api_client.configuration.get_api_key_with_prefix("BearerToken") == "Bearer relative"


def test_the_gcp_auth_provider_is_refused_as_kubectl_refuses_it(tmp_path):
    """client-go plugin/pkg/client/auth/gcp/gcp_stub.go: removed since 1.26; its cmd-path would run unbounded."""
    path = tmp_path / "config"
    marker = tmp_path / "ran"
    path.write_text(yaml.safe_dump({
        "current-context": "k", "contexts": [{"name": "k", "context": {"cluster": "k", "user": "k"}}],
        "clusters": [{"name": "k", "cluster": {"server": "https://127.0.0.1:6443"}}],
        "users": [{"name": "k", "user": {"auth-provider": {"name": "gcp", "config": {
            "cmd-path": "touch", "cmd-args": str(marker)}}}}]}))
    with pytest.raises(ClusterError, match="gcp auth-provider was removed"):
        connect(kubeconfig_clusters(str(path))[0])
    assert not marker.exists()
