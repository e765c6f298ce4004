"""Run bookkeeping: each cluster counts once, and the fleet report has exactly one writer."""

from __future__ import annotations

from fleetaws.clients import client
from fleetaws.runs import claim_report, mark_reported, record_cluster

NOW = 1_735_732_800
INVOCATION = 300   # the claimer's invocation ends this long after NOW


def record(stack, cluster: str, run_size: int = 2) -> bool:
    return record_cluster(client(stack.aws, "dynamodb"), stack.table, "r1", run_size,
                          {"cluster": cluster, "state": "scanned"}, NOW + 86400)


def claim(stack, now: int = NOW) -> bool:
    return claim_report(client(stack.aws, "dynamodb"), stack.table, "r1", now, now + INVOCATION)


def test_a_cluster_recorded_twice_counts_once(aws, stack):
    assert record(stack, "c1") is True
    assert record(stack, "c1") is False
    assert claim(stack) is False   # one of two clusters: the run is not complete


def test_the_report_of_a_complete_run_is_claimed_once(aws, stack):
    record(stack, "c1")
    record(stack, "c2")
    assert [claim(stack), claim(stack), claim(stack)] == [True, False, False]


def test_a_writer_that_died_is_taken_over_once_its_invocation_is_over(aws, stack):
    record(stack, "c1")
    record(stack, "c2")
    assert claim(stack)
    assert not claim(stack, NOW + INVOCATION - 1)
    assert claim(stack, NOW + INVOCATION + 1)


def test_a_written_report_is_never_claimed_again(aws, stack):
    record(stack, "c1")
    record(stack, "c2")
    assert claim(stack)
    mark_reported(client(stack.aws, "dynamodb"), stack.table, "r1", "runs/r1/report.json", "2025-01-01T12:00:00Z")
    assert not claim(stack, NOW + 10 * INVOCATION)
