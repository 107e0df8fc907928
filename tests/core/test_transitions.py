from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from byod import transitions
from byod.keys import Sealed
from byod.models import Connection, ConnectionStatus, Deployment, DeployPhase, Event
from byod.transitions import TransitionError
from tests.fixtures.connections import make_connection


@pytest.fixture
def connection(owner) -> Connection:
    conn = make_connection(
        owner, name="happy-otter-123", status=ConnectionStatus.PENDING, deployed_version=None
    )
    transitions.connection_created(conn, actor=owner)
    return conn


def queue(connection: Connection, *, dry_run: bool = False, actor=None) -> Deployment:
    deployment = Deployment.objects.create(
        connection=connection,
        from_version=connection.deployed_version,
        to_version=2,
        package_hash="ab" * 32,
        trigger="user",
        dry_run=dry_run,
    )
    transitions.deploy_queued(deployment, actor=actor)
    return deployment


def kinds(connection: Connection) -> list[str]:
    return list(
        Event.objects.filter(connection=connection).order_by("id").values_list("kind", flat=True)
    )


def test_it_writes_an_event_for_every_step_of_a_successful_deploy(connection, owner) -> None:
    deployment = queue(connection, actor=owner)
    assert connection.status == "deploying"
    transitions.mark_deploy_running(deployment, worker="w1")
    transitions.save_progress(
        deployment, phase=DeployPhase.UPLOADING, indexes_ready=1, indexes_total=3
    )
    transitions.mark_deploy_succeeded(deployment, diff_summary={"added_indexes": 3})

    deployment.refresh_from_db()
    connection.refresh_from_db()
    assert (deployment.status, deployment.attempt, deployment.indexes_ready) == ("succeeded", 1, 1)
    assert deployment.diff_summary == {"added_indexes": 3}
    assert deployment.duration is not None
    assert connection.status == "connected"
    assert (connection.deployed_version, connection.deployed_package_hash) == (2, "ab" * 32)
    assert kinds(connection) == [
        "connection.created",
        "content.location_changed",
        "deploy.queued",
        "deploy.running",
        "deploy.succeeded",
    ]
    queued = Event.objects.get(kind="deploy.queued")
    assert (queued.actor, queued.deployment) == (owner, deployment)
    assert Event.objects.get(kind="deploy.running").actor is None  # the system acted


def test_it_lets_only_one_worker_claim_a_queued_deploy(connection) -> None:
    deployment = queue(connection)
    stale_copy = Deployment.objects.get(pk=deployment.pk)
    transitions.mark_deploy_running(deployment)
    with pytest.raises(TransitionError, match="cannot go from 'running' to 'running'"):
        transitions.mark_deploy_running(stale_copy)
    assert kinds(connection).count("deploy.running") == 1


def test_it_keeps_the_deployed_version_when_a_deploy_fails(connection) -> None:
    first = queue(connection)
    transitions.mark_deploy_running(first)
    transitions.mark_deploy_succeeded(first)
    second = Deployment.objects.create(
        connection=connection, from_version=2, to_version=3, trigger="admin"
    )
    transitions.deploy_queued(second)
    transitions.mark_deploy_running(second)
    transitions.mark_deploy_failed(
        second, category="schema_rejected", message="Fix table x.", retryable=False
    )
    connection.refresh_from_db()
    assert connection.status == "error"
    assert connection.deployed_version == 2
    assert (connection.last_error_category, connection.last_error_message) == (
        "schema_rejected",
        "Fix table x.",
    )
    assert connection.last_error_at is not None
    assert kinds(connection)[-1] == "deploy.failed"


def test_it_schedules_a_retry_then_claims_again(connection) -> None:
    deployment = queue(connection)
    transitions.mark_deploy_running(deployment)
    when = timezone.now()
    transitions.mark_deploy_retrying(
        deployment, category="timeout", message="Try later.", next_attempt_at=when
    )
    assert (deployment.status, deployment.error_retryable) == ("queued", True)
    transitions.mark_deploy_running(deployment)
    deployment.refresh_from_db()
    assert (deployment.status, deployment.attempt, deployment.next_attempt_at) == (
        "running",
        2,
        None,
    )
    assert kinds(connection)[-2:] == ["deploy.retry_scheduled", "deploy.running"]


def test_it_refuses_to_finish_a_deploy_that_never_ran(connection) -> None:
    deployment = queue(connection)
    with pytest.raises(TransitionError):
        transitions.mark_deploy_succeeded(deployment)
    deployment.refresh_from_db()
    assert deployment.status == "queued"
    assert "deploy.succeeded" not in kinds(connection)


def test_it_leaves_the_connection_alone_during_a_dry_run(connection) -> None:
    deployment = queue(connection, dry_run=True)
    assert connection.status == "pending"
    transitions.mark_deploy_running(deployment)
    transitions.mark_deploy_failed(deployment, category="schema_rejected", message="no")
    connection.refresh_from_db()
    assert (connection.status, connection.last_error_category) == ("pending", "")
    assert Event.objects.get(kind="deploy.failed").data["category"] == "schema_rejected"


def test_it_allows_only_one_active_deployment_per_connection(connection) -> None:
    queue(connection)
    with pytest.raises(IntegrityError), transaction.atomic():
        Deployment.objects.create(connection=connection, to_version=2, trigger="user")


def test_it_allows_a_new_deployment_once_the_last_one_finished(connection) -> None:
    first = queue(connection)
    transitions.mark_deploy_cancelled(first, reason="changed my mind")
    connection.refresh_from_db()
    assert connection.status == "pending"  # nothing was ever deployed
    second = queue(connection)
    assert second.status == "queued"


def test_it_cancels_running_deploys_and_erases_the_key_on_disconnect(connection, owner) -> None:
    deployment = queue(connection)
    transitions.mark_deploy_running(deployment)
    transitions.mark_disconnected(connection, actor=owner)
    connection.refresh_from_db()
    deployment.refresh_from_db()
    assert connection.status == "disconnected"
    assert (connection.key_ciphertext, connection.key_id, connection.has_key) == ("", "", False)
    assert deployment.status == "cancelled"
    assert kinds(connection)[-3:] == [
        "deploy.cancelled",
        "connection.disconnected",
        "content.location_changed",  # back to the main deployment
    ]
    assert Event.objects.get(kind="connection.disconnected").actor == owner
    with pytest.raises(TransitionError):
        transitions.deploy_queued(
            Deployment.objects.create(connection=connection, to_version=2, trigger="user")
        )


def test_it_records_credential_changes_and_forgets_the_version_for_a_new_url(connection) -> None:
    deployment = queue(connection)
    transitions.mark_deploy_running(deployment)
    transitions.mark_deploy_succeeded(deployment)
    transitions.mark_credentials_changed(
        connection,
        actor=None,
        sealed=Sealed("k1", "bmV3"),
        url=connection.url,
        deployment_name=connection.deployment_name,
        keep_status=True,
    )
    assert (connection.status, connection.deployed_version) == ("connected", 2)
    transitions.mark_credentials_changed(
        connection,
        actor=None,
        sealed=Sealed("k1", "b3RoZXI="),
        url="https://calm-fox-7.convex.cloud",
        deployment_name="calm-fox-7",
        keep_status=False,
    )
    connection.refresh_from_db()
    assert (connection.status, connection.deployed_version, connection.deployment_name) == (
        "pending",
        None,
        "calm-fox-7",
    )
    events = Event.objects.filter(kind="connection.credentials_changed").order_by("id")
    assert [e.message for e in events] == [
        "Deploy key replaced.",
        "Now pointing at calm-fox-7 (was https://happy-otter-123.convex.cloud).",
    ]


def test_it_moves_the_connection_between_error_and_connected(connection) -> None:
    failed = queue(connection)
    transitions.mark_deploy_running(failed)
    transitions.mark_deploy_failed(failed, category="unreachable", message="Down.", retryable=True)
    connection.refresh_from_db()
    assert (connection.status, connection.last_error_category) == ("error", "unreachable")
    again = queue(connection)
    transitions.mark_deploy_running(again)
    transitions.mark_deploy_succeeded(again)
    connection.refresh_from_db()
    assert (connection.status, connection.last_error_category) == ("connected", "")
    assert connection.last_error_message == "" and connection.last_error_at is None
    assert kinds(connection)[-6:] == [
        "deploy.failed",
        "health.degraded",  # unreachable: a deploy's failure counts like a failed probe
        "deploy.queued",
        "deploy.running",
        "deploy.succeeded",
        "health.healthy",  # and its success like a passing one
    ]


def test_it_refuses_a_key_without_a_key_id_in_the_database(owner) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Connection.objects.create(user=owner, url="https://x.convex.cloud", key_ciphertext="abc")
