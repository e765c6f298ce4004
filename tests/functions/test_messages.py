"""Scan requests on the wire, and run ids: what a queue consumer and an operator rely on."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from fleetaws.config import ConfigError, PlanConfig, ScanConfig
from fleetaws.messages import BadMessage, ScanRequest
from fleetaws.run_id import BadRunId, run_id_for

NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_a_request_names_a_cluster_and_nothing_else():
    request = ScanRequest("20250101T120000Z", 7, "team-a/prod")
    assert ScanRequest.from_json(request.to_json()) == request
    assert json.loads(request.to_json()) == {"run_id": "20250101T120000Z", "run_size": 7, "cluster": "team-a/prod"}


def test_how_to_reach_a_cluster_is_never_read_from_a_message():
    body = {"run_id": "r", "run_size": 1, "cluster": "prod", "kubeconfig_secret": "other/secret",
            "access": {"name": "prod", "source": "incluster", "server": "https://127.0.0.1:1",
                       "token_file": "/proc/self/environ", "ca_file": "/etc/hostname"}}
    assert ScanRequest.from_json(json.dumps(body)) == ScanRequest("r", 1, "prod")


@pytest.mark.parametrize("body, why", [
    ("not json", "not JSON"),
    ("[1]", "not a JSON object"),
    ('{"cluster": "c"}', "lacks run_id"),
    ('{"run_id": "r", "cluster": "c", "run_size": 0}', "run_size"),
    ('{"run_id": "r", "cluster": ""}', "inventory name"),
    ('{"run_id": "r", "cluster": "../../etc"}', "inventory name"),
    ('{"run_id": "r", "cluster": "a\\nb"}', "inventory name"),
    ('{"run_id": "../latest", "cluster": "c"}', "run_id must be"),
    ("[" * 100000 + "]" * 100000, "not JSON"),
])
def test_a_bad_message_is_named_in_one_line(body, why):
    with pytest.raises(BadMessage, match=why) as err:
        ScanRequest.from_json(body)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("event, run_id", [
    ({"scheduled_time": "2025-01-01T12:00:00Z"}, "20250101T120000Z"),    # EventBridge Scheduler
    ({"time": "2025-01-01T12:30:00Z", "source": "aws.events"}, "20250101T123000Z"),  # a classic rule
    ({"run_id": "rerun-1"}, "rerun-1"),
])
def test_run_ids_come_from_the_schedule(event, run_id):
    assert run_id_for(event, NOW) == run_id


def test_a_manual_run_gets_a_fresh_id_that_sorts_by_time():
    first, second = run_id_for({}, NOW), run_id_for(None, NOW)
    assert first.startswith("20250304T050607Z-") and first != second


def test_an_unsafe_run_id_is_refused():
    with pytest.raises(BadRunId):
        run_id_for({"run_id": "../../etc"}, NOW)


@pytest.mark.parametrize("config, env, why", [
    (PlanConfig, {"TABLE_NAME": "t", "SCAN_QUEUE_URL": "q"}, "INVENTORY_PARAMETER_PATH or EKS_REGIONS"),
    (PlanConfig, {"TABLE_NAME": "t", "EKS_REGIONS": "eu-west-1"}, "SCAN_QUEUE_URL is not set"),
    (ScanConfig, {"TABLE_NAME": "t"}, "REPORT_BUCKET is not set"),
    (ScanConfig, {"TABLE_NAME": "t", "REPORT_BUCKET": "b", "MAX_RECEIVE_COUNT": "three"}, "must be a number"),
    (ScanConfig, {"TABLE_NAME": "t", "REPORT_BUCKET": "b", "LIST_OWNERS": "some"}, "needed, all or none"),
])
def test_bad_configuration_is_one_line(config, env, why):
    with pytest.raises(ConfigError, match=why):
        config.from_env({"AWS_REGION": "eu-west-1", **env})
