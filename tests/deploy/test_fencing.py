"""Only the holder writes: a worker that lost its attempt records nothing over the next one.

In process and deterministic: worker A runs attempt 1, "stops" past its lease (the test expires
the lease instead of waiting), the reaper records the attempt as lost, worker B starts attempt
2, then A wakes up and tries to record what it saw. The real-process versions (SIGSTOP, a slow
call) are in test_fencing_processes.py.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from byod import builds, transitions
from byod.client import ConvexClient
from byod.clients import Purpose, client_for
from byod.errors import BAD_CREDENTIALS, PUSH_RACE, ByodError, ConvexError
from byod.models import Connection, Deployment, Holder, MigrationRun
from byod.services.deploys import attempts, lease
from byod.services.deploys.run import NO_LEASE, reap_and_retry, run_deploy
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = pytest.mark.django_db

A, B = "host:1:worker-a", "host:2:worker-b"


def start_attempt(deployment_id: int, owner: str) -> Deployment:
    """What a worker does to start an attempt: take the lease, mark the deploy running; the
    instance it goes on with carries its token."""
    deployment = Deployment.objects.select_related("connection").get(pk=deployment_id)
    assert lease.take(deployment.connection_id, owner)
    transitions.mark_deploy_running(deployment, worker=owner)
    deployment.holder = Holder(owner, deployment.attempt)
    return deployment


def expire_lease(connection_id: int) -> None:
    Connection.objects.filter(pk=connection_id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


def taken_over(deployment_id: int) -> tuple[Deployment, Deployment]:
    """A runs attempt 1 and stops past its lease; the reaper records it; B runs attempt 2."""
    stale = start_attempt(deployment_id, A)
    expire_lease(stale.connection_id)
    reaped = reap_and_retry()
    assert [r.deployment_id for r in reaped] == [deployment_id]
    Deployment.objects.filter(pk=deployment_id).update(next_attempt_at=None)
    current = start_attempt(deployment_id, B)
    assert (stale.attempt, current.attempt) == (1, 2)
    return stale, current


def assert_b_still_runs(deployment_id: int) -> Deployment:
    row = Deployment.objects.select_related("connection").get(pk=deployment_id)
    assert (row.status, row.attempt, row.connection.lease_owner) == ("running", 2, B)
    assert row.error_category == "worker_lost"  # attempt 1's, recorded by the reaper
    return row


def assert_warned(caplog: pytest.LogCaptureFixture, deployment_id: int, stale: str = A) -> None:
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    dropped = [w for w in warnings if w.startswith(f"deploy {deployment_id}: dropped")]
    assert dropped, warnings
    # Both tokens: the stale one and the one holding the deploy now.
    assert f"attempt 1 of {stale}" in dropped[0]
    assert "attempt 2" in dropped[0] and B in dropped[0]


def test_a_stale_workers_push_race_does_not_stop_the_attempt_that_took_over(
    connected: tuple[Connection, Deployment], caplog: pytest.LogCaptureFixture
) -> None:
    _, queued = connected
    stale, _ = taken_over(queued.pk)

    # What A saw on waking: B's push replaced its own, so its wait answered raceDetected.
    retry_at = attempts.record_failure(stale, ConvexError(PUSH_RACE, "raceDetected"))

    assert retry_at is None
    row = assert_b_still_runs(queued.pk)
    assert "push_race" not in row.log
    kinds = list(row.connection.events.filter(deployment=row).values_list("kind", "message"))
    assert not [m for k, m in kinds if "push_race" in m], kinds
    assert_warned(caplog, queued.pk)


def test_a_stale_workers_failure_for_good_is_dropped(
    connected: tuple[Connection, Deployment], caplog: pytest.LogCaptureFixture
) -> None:
    _, queued = connected
    stale, _ = taken_over(queued.pk)

    attempts.record_failure(stale, ByodError(BAD_CREDENTIALS, "refused"))

    row = assert_b_still_runs(queued.pk)
    assert row.connection.status == "deploying"
    assert row.connection.last_error_category == ""
    assert not row.connection.events.filter(kind="deploy.failed").exists()
    assert_warned(caplog, queued.pk)


def test_a_stale_workers_success_progress_and_push_are_dropped(
    connected: tuple[Connection, Deployment], caplog: pytest.LogCaptureFixture
) -> None:
    _, queued = connected
    stale, _ = taken_over(queued.pk)

    assert transitions.save_progress(stale, log_line="stale progress") is False
    transitions.note(stale, "stale note")
    with pytest.raises(transitions.NotHolder):
        transitions.mark_pushed(stale)
    with pytest.raises(transitions.NotHolder):
        transitions.mark_deploy_succeeded(stale, diff_summary={}, connection_also=NO_LEASE)
    with pytest.raises(transitions.NotHolder):
        transitions.mark_expanded(stale, 2)

    row = assert_b_still_runs(queued.pk)
    assert "stale" not in row.log
    assert row.pushed_at is None
    assert (row.connection.pushed_version, row.connection.deployed_version) == (None, None)
    assert row.connection.migrating_version is None
    assert not row.connection.events.filter(kind="deploy.succeeded").exists()
    assert_warned(caplog, queued.pk)


def test_a_stale_worker_neither_starts_nor_closes_migration_runs(
    connected: tuple[Connection, Deployment],
) -> None:
    connection, queued = connected
    stale, current = taken_over(queued.pk)
    running = transitions.migration_started(
        connection, version=2, migration_id="m", name="m", table="t", deployment=current
    )

    with pytest.raises(transitions.NotHolder):
        transitions.migration_started(
            connection, version=2, migration_id="m", name="m", table="t", deployment=stale
        )
    closed = transitions.close_interrupted(connection, "stale worker's view", by=stale)

    assert closed == 0
    assert list(MigrationRun.objects.values_list("pk", "status")) == [(running.pk, "running")]
    # The holder's own run moves on as usual.
    transitions.save_migration_progress(running, processed=10, changed=3)
    transitions.migration_succeeded(running, processed=10, changed=3)
    running.refresh_from_db()
    assert (running.status, running.processed) == ("succeeded", 10)


def test_a_newer_attempt_under_the_same_lease_owner_is_fenced_too(
    connected: tuple[Connection, Deployment],
) -> None:
    # A rollout's driver names every lease it takes alike: the attempt number tells its
    # stale thread from the one running the retry.
    _, queued = connected
    stale = start_attempt(queued.pk, A)
    expire_lease(stale.connection_id)
    reap_and_retry()
    Deployment.objects.filter(pk=queued.pk).update(next_attempt_at=None)
    start_attempt(queued.pk, A)

    attempts.record_failure(stale, ConvexError(PUSH_RACE, "raceDetected"))

    row = Deployment.objects.get(pk=queued.pk)
    assert (row.status, row.attempt, row.error_category) == ("running", 2, "worker_lost")


def test_the_holder_itself_records_as_before(connected: tuple[Connection, Deployment]) -> None:
    _, queued = connected
    current = start_attempt(queued.pk, A)

    assert transitions.save_progress(current, log_line="going on")
    retry_at = attempts.record_failure(current, ConvexError(PUSH_RACE, "raceDetected"))

    assert retry_at is not None
    row = Deployment.objects.get(pk=queued.pk)
    assert (row.status, row.error_category) == ("queued", "push_race")


def test_a_worker_taken_over_mid_push_stops_before_its_next_call_that_changes_anything(
    connected: tuple[Connection, Deployment],
    canary_deployment: EmulatorDeployment,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The issue's SIGSTOP run, in process: A is "stopped" while it waits for its schema; the
    reaper records attempt 1 and B starts attempt 2 and pushes; A wakes to a raceDetected."""
    connection, queued = connected
    calls: list[str] = []
    real_wait, real_finish = ConvexClient.wait_for_schema, ConvexClient.finish_push

    def stopped_past_the_lease(client: ConvexClient, *args: Any, **kwargs: Any) -> Any:
        if not calls:
            calls.append("A waits")
            expire_lease(connection.pk)
            reap_and_retry()
            Deployment.objects.filter(pk=queued.pk).update(next_attempt_at=None)
            start_attempt(queued.pk, B)
            with client_for(connection, purpose=Purpose.DEPLOY) as b:
                b.start_push({**builds.load_artifact(queued.to_version), "dryRun": False})
        return real_wait(client, *args, **kwargs)

    def finish(client: ConvexClient, *args: Any, **kwargs: Any) -> Any:
        calls.append("finish_push")
        return real_finish(client, *args, **kwargs)

    monkeypatch.setattr(ConvexClient, "wait_for_schema", stopped_past_the_lease)
    monkeypatch.setattr(ConvexClient, "finish_push", finish)

    run_deploy(queued.pk)

    assert calls == ["A waits"]  # A never finished its push, nor pushed again
    row = assert_b_still_runs(queued.pk)
    assert "push_race" not in row.log
    assert [p["status"] for p in canary_deployment.pushes()] == ["started", "started"]
    assert_warned(caplog, queued.pk, stale="")
