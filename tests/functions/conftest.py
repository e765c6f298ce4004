"""Fixtures for the fleet functions: moto's server over real HTTP, the template's resources on it,
and the functions' environment as template.yaml sets it."""

from __future__ import annotations

import json
import logging
import os
import sys

import pytest

from .helpers import REGION

# Powertools reads these when the handler modules are imported; Lambda sets them from the template.
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "sliceaudit")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "SliceAudit")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")


@pytest.fixture
def aws(monkeypatch, moto_url):
    """Fake credentials and region, every AWS client pointed at moto; returns the functions' AwsEnv."""
    from fleetaws.config import AwsEnv
    from fleetlocal import REAL_AWS_VARIABLES, fake_aws_env

    for key, value in fake_aws_env(moto_url, REGION, "AKIATESTTESTTESTTEST", "secret").items():
        monkeypatch.setenv(key, value)
    for key in REAL_AWS_VARIABLES:
        monkeypatch.delenv(key, raising=False)
    return AwsEnv(REGION, moto_url)


@pytest.fixture
def max_receives() -> int:
    """The queue's maxReceiveCount (a module may override it to reach the dead-letter queue sooner)."""
    return 3


@pytest.fixture
def stack(aws, max_receives):
    from fleetlocal import create_stack

    return create_stack(aws, outage_topic=True, max_receive_count=max_receives)


@pytest.fixture
def function_env(monkeypatch, stack, max_receives):
    """The environment template.yaml gives both functions, on this test's resources."""
    env = stack.function_env(MAX_RECEIVE_COUNT=str(max_receives), SCAN_TIME_RESERVE_SECONDS="1")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


class _CurrentStdout:
    """Writes to whatever sys.stdout is now, as print() does (and as Lambda's stdout always is)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@pytest.fixture
def stdout_lines(capsys):
    """Everything the functions print (JSON logs and EMF documents), parsed; the log handler is
    pointed at the captured stdout first, since Powertools binds its stream when a module loads."""
    import plan.app  # noqa: F401  (the modules whose loggers are re-pointed)
    import scan.app  # noqa: F401

    handlers = [h for h in logging.getLogger("sliceaudit").handlers if isinstance(h, logging.StreamHandler)]
    before = [h.stream for h in handlers]
    for handler in handlers:
        handler.stream = _CurrentStdout()

    def read() -> list[dict]:
        lines = []
        for line in capsys.readouterr().out.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    pass
        return lines

    yield read
    for handler, stream in zip(handlers, before):
        handler.stream = stream
