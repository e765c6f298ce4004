"""Fixtures shared across test folders: moto's server, and a simulated API server per module.

A folder that uses `server` defines its own module-scoped `cluster` (a generated SimCluster).
"""

import urllib.request

import pytest

from sliceaudit.sim.clusterserver import ClusterServer


@pytest.fixture(scope="module")
def moto_url():
    """moto in server mode over real HTTP on a free loopback port; a fresh AWS per test module."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # moto's backends are process-wide: without a reset, one module's clusters and tables leak into the next.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
    yield url
    server.stop()


@pytest.fixture(scope="module")
def shared_server(cluster):
    with ClusterServer(cluster, bookmark_interval=0.2) as server:
        yield server


@pytest.fixture
def server(shared_server):
    """The module's server, with no faults left over and a fresh request log."""
    shared_server.faults.clear()
    shared_server.requests.clear()
    yield shared_server
    shared_server.faults.clear()
