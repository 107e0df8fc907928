"""The deploy pipeline against the emulator: outcomes a user or operator would notice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from byod import transitions
from byod.client import ConvexClient
from byod.inputs import parse_url
from byod.models import Connection, ConnectionStatus, Deployment, Event
from byod.services.deploys import lease
from byod.services.deploys.run import reap_and_retry, request_deploy, run_deploy
from tests.fixtures.connections import make_connection
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = pytest.mark.django_db


def reload(deployment: Deployment) -> Deployment:
    return Deployment.objects.select_related("connection").get(pk=deployment.pk)


def meta_of(canary_deployment: EmulatorDeployment) -> Any:
    with ConvexClient(parse_url(canary_deployment.url), canary_deployment.admin_key) as client:
        return client.query("meta:get", {})


def test_it_deploys_records_the_version_and_reads_it_back(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment
) -> None:
    connection, queued = connected
    assert queued.status == "queued"
    assert connection.status == "deploying"

    run_deploy(queued.pk)

    done = reload(queued)
    assert done.status == "succeeded", done.error_message
    assert done.attempt == 1
    assert done.duration is not None
    connection.refresh_from_db()
    assert connection.status == "connected"
    assert connection.deployed_version == done.to_version
    assert connection.deployed_package_hash == done.package_hash
    assert connection.lease_owner == ""
    meta = meta_of(canary_deployment)
    assert meta["schemaVersion"] == done.to_version
    assert meta["packageHash"] == done.package_hash
    assert canary_deployment.active_schema() is not None
    assert "version recorded and verified" in done.log
    kinds = list(Event.objects.filter(deployment=done).values_list("kind", flat=True))
    assert {"deploy.queued", "deploy.running", "deploy.succeeded"} <= set(kinds)


def test_running_a_finished_deploy_again_does_nothing(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment
) -> None:
    _, queued = connected
    run_deploy(queued.pk)
    pushes = len(canary_deployment.pushes())
    run_deploy(queued.pk)
    assert len(canary_deployment.pushes()) == pushes
    assert reload(queued).attempt == 1


def test_a_second_trigger_returns_the_queued_deploy(
    connected: tuple[Connection, Deployment],
) -> None:
    connection, queued = connected
    again = request_deploy(connection, trigger="admin")
    assert again.pk == queued.pk
    assert connection.deployments.count() == 1


def test_a_dry_run_changes_nothing(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment
) -> None:
    connection, first = connected
    run_deploy(first.pk)
    connection.refresh_from_db()
    before = (connection.status, connection.deployed_version, connection.deployed_package_hash)
    schema_before = canary_deployment.active_schema()
    pushes_before = canary_deployment.pushes()
    meta_before = meta_of(canary_deployment)

    dry = request_deploy(connection, trigger="admin", dry_run=True)
    run_deploy(dry.pk)

    dry = reload(dry)
    assert dry.status == "succeeded", dry.error_message
    assert dry.diff_summary.get("dry_run") is True
    connection.refresh_from_db()
    assert (connection.status, connection.deployed_version, connection.deployed_package_hash) == (
        before
    )
    assert canary_deployment.active_schema() == schema_before
    assert canary_deployment.pushes() == pushes_before
    assert meta_of(canary_deployment) == meta_before


def test_a_dry_run_on_a_fresh_deployment_pushes_nothing(
    owner: User, canary_deployment: EmulatorDeployment
) -> None:
    # Stored directly: connecting through the service would queue a real deploy first.
    connection = make_connection(
        owner,
        name=canary_deployment.name,
        url=canary_deployment.url,
        key=canary_deployment.admin_key,
        status=ConnectionStatus.PENDING,
        deployed_version=None,
    )
    dry = request_deploy(connection, trigger="command", dry_run=True)
    run_deploy(dry.pk)
    assert reload(dry).status == "succeeded"
    assert canary_deployment.active_schema() is None
    assert canary_deployment.pushes() == []
    connection.refresh_from_db()
    assert connection.status == "pending"
    assert connection.deployed_version is None


def test_progress_is_saved_while_indexes_backfill(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment
) -> None:
    _, queued = connected
    canary_deployment.set_backfill_ms(1500)
    seen: list[tuple[str, int | None, int | None]] = []
    original = transitions.save_progress

    def spy(target: Deployment, **fields: Any) -> bool:
        still_running = original(target, **fields)
        row = Deployment.objects.get(pk=target.pk)  # what the status page would read now
        seen.append((row.phase, row.indexes_ready, row.indexes_total))
        return still_running

    transitions.save_progress = spy  # type: ignore[assignment]
    try:
        run_deploy(queued.pk)
    finally:
        transitions.save_progress = original  # type: ignore[assignment]
    assert reload(queued).status == "succeeded"
    backfilling = [s for s in seen if s[0] == "backfilling indexes"]
    assert backfilling, seen
    assert all(total and total > 0 for _, _, total in backfilling)
    done = reload(queued)
    assert done.indexes_ready == done.indexes_total


def test_a_transient_failure_is_retried_and_then_succeeds(
    connected: tuple[Connection, Deployment],
    canary_deployment: EmulatorDeployment,
    fast_retries: None,
) -> None:
    _, queued = connected
    canary_deployment.set_fault("deploy2/start_push", status=503, times=1)

    run_deploy(queued.pk)

    waiting = reload(queued)
    assert waiting.status == "queued"
    assert waiting.error_category == "server_error"
    assert waiting.error_retryable is True
    assert waiting.next_attempt_at is not None
    assert Event.objects.filter(deployment=waiting, kind="deploy.retry_scheduled").exists()

    run_deploy(queued.pk)

    done = reload(queued)
    assert done.status == "succeeded"
    assert done.attempt == 2


def test_retries_stop_after_max_attempts(
    connected: tuple[Connection, Deployment],
    canary_deployment: EmulatorDeployment,
    fast_retries: None,
) -> None:
    _, queued = connected
    Deployment.objects.filter(pk=queued.pk).update(max_attempts=3)
    canary_deployment.set_fault("deploy2/start_push", status=500)
    for _ in range(5):
        run_deploy(queued.pk)
    failed = reload(queued)
    assert failed.status == "failed"
    assert failed.attempt == 3
    assert failed.error_category == "server_error"
    assert failed.connection.status == "error"
    assert failed.connection.last_error_category == "server_error"


def test_a_retry_is_not_run_before_it_is_due(
    connected: tuple[Connection, Deployment],
    canary_deployment: EmulatorDeployment,
    settings: Any,
    time_machine: Any,
) -> None:
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    settings.BYOD_DEPLOY_RETRY_BASE_SECONDS = 600
    _, queued = connected
    canary_deployment.set_fault("deploy2/start_push", status=503, times=1)
    run_deploy(queued.pk)
    pushes = len(canary_deployment.pushes())
    run_deploy(queued.pk)
    assert reload(queued).attempt == 1
    assert len(canary_deployment.pushes()) == pushes
    # The first retry waits 600 s, with jitter down to half of it.
    wait = reload(queued).next_attempt_at - now
    assert timedelta(seconds=300) <= wait <= timedelta(seconds=600)


def test_a_permanent_failure_is_not_retried(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment
) -> None:
    _, queued = connected
    canary_deployment.set_fault("*", revoked_key=True)
    run_deploy(queued.pk)
    failed = reload(queued)
    assert failed.status == "failed"
    assert failed.attempt == 1
    assert failed.error_category == "bad_credentials"
    assert failed.error_retryable is False
    assert "deploy key" in failed.error_message
    assert failed.connection.status == "error"
    assert failed.connection.deployed_version is None


def test_existing_documents_that_break_the_schema_fail_the_deploy_and_lose_nothing(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment
) -> None:
    connection, first = connected
    run_deploy(first.pk)
    table = canary_deployment.active_schema()["tables"][0]["tableName"]
    before = len(canary_deployment.documents(table))
    canary_deployment.insert(table, {"not_a_field_of_ours": 1})
    version_before = Connection.objects.get(pk=connection.pk).deployed_version

    again = request_deploy(connection, trigger="admin")
    run_deploy(again.pk)

    failed = reload(again)
    assert failed.status == "failed"
    assert failed.error_category == "existing_data_conflict"
    assert table in failed.error_message
    assert failed.connection.deployed_version == version_before
    assert len(canary_deployment.documents(table)) == before + 1


def test_an_expired_lease_is_reaped_recorded_and_retried(
    connected: tuple[Connection, Deployment],
    canary_deployment: EmulatorDeployment,
    fast_retries: None,
) -> None:
    connection, queued = connected
    # A worker claimed the deploy and then vanished: its lease runs out.
    assert lease.take(connection.pk, "dead-worker")
    transitions.mark_deploy_running(queued, worker="dead-worker")
    Connection.objects.filter(pk=connection.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert [r.deployment_id for r in reap_and_retry()] == [queued.pk]

    reaped = reload(queued)
    assert reaped.status == "queued"
    assert reaped.error_category == "worker_lost"
    assert Event.objects.filter(deployment=reaped, kind="deploy.retry_scheduled").exists()
    run_deploy(queued.pk)
    assert reload(queued).status == "succeeded"
    assert reload(queued).attempt == 2


def test_a_live_lease_is_not_reaped(connected: tuple[Connection, Deployment]) -> None:
    connection, queued = connected
    assert lease.take(connection.pk, "busy-worker")
    transitions.mark_deploy_running(queued, worker="busy-worker")
    assert reap_and_retry() == []
    assert reload(queued).status == "running"
    run_deploy(queued.pk)  # another worker's run leaves it alone
    assert reload(queued).status == "running"
