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


@pytest.fixture
def moto_env(aws_env, moto_url):
    aws_env.setenv("AWS_ENDPOINT_URL", moto_url)
    return moto_url


# --- the simulated API server ----------------------------------------------------------------

from kube_testkit import access_for  # noqa: E402

from sliceaudit.kube.clusters import connect  # noqa: E402
from sliceaudit.sim.world.fleet import generate_cluster  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    return generate_cluster("sim", services=40, seed=7, broken_share=0.3)


@pytest.fixture
def client(server):
    with connect(access_for(server)) as c:
        yield c
