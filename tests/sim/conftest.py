"""Fixtures: one generated cluster and its API server per module; the real kubernetes client."""

import pytest
from kubernetes import client as k8s
from sim_testkit import api_client

from sliceaudit.sim.world.fleet import generate_cluster


@pytest.fixture(scope="module")
def cluster():
    return generate_cluster("sim", services=40, seed=3, broken_share=0.25)


@pytest.fixture
def api(server):
    with api_client(server) as client:
        yield client


@pytest.fixture
def core(api):
    return k8s.CoreV1Api(api)


@pytest.fixture
def discovery(api):
    return k8s.DiscoveryV1Api(api)


@pytest.fixture
def apps(api):
    return k8s.AppsV1Api(api)
