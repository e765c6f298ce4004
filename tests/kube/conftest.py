"""Fixtures for the Kubernetes access tests: fake AWS credentials, moto's server over HTTP."""

import pytest


@pytest.fixture
def aws_env(monkeypatch):
    """Fake credentials, no config files: presigning needs keys, never a real account."""
    for key, value in {"AWS_ACCESS_KEY_ID": "AKIATESTTESTTESTTEST", "AWS_SECRET_ACCESS_KEY": "secret",
                       "AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/dev/null",
                       "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


@pytest.fixture(scope="session")
def moto_url():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto_env(aws_env, moto_url):
    aws_env.setenv("AWS_ENDPOINT_URL", moto_url)
    return moto_url


# --- the simulated API server ----------------------------------------------------------------

from kube_testkit import access_for  # noqa: E402

from sliceaudit.kube.clusters import connect  # noqa: E402
from sliceaudit.sim.fleet import generate_cluster  # noqa: E402
from sliceaudit.sim.server import ApiServer  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    return generate_cluster("sim", services=40, seed=7, broken_share=0.3)


@pytest.fixture(scope="module")
def shared_server(cluster):
    with ApiServer(cluster, bookmark_interval=0.2) as server:
        yield server


@pytest.fixture
def server(shared_server):
    """The module's server, with no faults left over and a fresh request log."""
    shared_server.faults.clear()
    shared_server.requests.clear()
    yield shared_server
    shared_server.faults.clear()


@pytest.fixture
def client(server):
    with connect(access_for(server)) as c:
        yield c
