"""A deploy belongs to the destination it started with, and stops when it is no longer wanted.

Each test runs the deploy in a thread, as a worker would, and acts on it from the test, as a
user would: switching deployment, disconnecting, redeploying while a retry waits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import close_old_connections, connections

from byod import package
from byod.client import ConvexClient
from byod.inputs import parse_url
from byod.models import Connection, Deployment
from byod.services import connections as connection_service
from byod.services.deploys.run import request_deploy, run_deploy
from tests.fixtures.canary import self_hosted_key
from tests.fixtures.emulator import Emulator, EmulatorDeployment

pytestmark = pytest.mark.django_db(transaction=True)

IN_PROGRESS = {
    "type": "inProgress",
    "components": {
        "": {"schemaValidationComplete": False, "indexesComplete": 0, "indexesTotal": 3}
    },
}


def wait_for(predicate: Any, *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Worker:
    """`run_deploy` in a thread with its own database connection, as a task worker runs it."""

    def __init__(self, deployment_id: int) -> None:
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(deployment_id,), daemon=True)
        self.thread.start()

    def _run(self, deployment_id: int) -> None:
        close_old_connections()
        try:
            run_deploy(deployment_id)
        except BaseException as error:  # reported by join()
            self.error = error
        finally:
            connections.close_all()

    def join(self, timeout: float) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the deploy did not stop"
        assert self.error is None, self.error


def reload(deployment: Deployment) -> Deployment:
    return Deployment.objects.get(pk=deployment.pk)


def phase_of(deployment: Deployment) -> str:
    return reload(deployment).phase


def meta_of(canary_deployment: EmulatorDeployment) -> Any:
    with ConvexClient(parse_url(canary_deployment.url), canary_deployment.admin_key) as client:
        return client.query("meta:get", {})


@pytest.fixture
def other_deployment(convex_emulator: Emulator, allow_emulator_hosts: None) -> Iterator[Any]:
    created = convex_emulator.create_deployment(
        "other-dep", admin_key=self_hosted_key("other-dep"), backfill_ms=0
    )
    try:
        yield created
    finally:
        convex_emulator.delete_deployment(created.name)


@pytest.fixture
def polls(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """When each wait_for_schema request was sent."""
    sent: list[float] = []
    real_call = ConvexClient._call

    def counting(self: ConvexClient, method: str, path: str, **kwargs: Any) -> Any:
        if path.endswith("/wait_for_schema"):
            sent.append(time.monotonic())
        return real_call(self, method, path, **kwargs)

    monkeypatch.setattr(ConvexClient, "_call", counting)
    return sent


def test_switching_deployment_mid_deploy_supersedes_it_and_deploys_the_new_one(
    connected: tuple[Connection, Deployment],
    canary_deployment: EmulatorDeployment,
    other_deployment: EmulatorDeployment,
) -> None:
    connection, first = connected
    canary_deployment.set_backfill_ms(10 * 60 * 1000)  # the first deploy waits for its indexes
    worker = Worker(first.pk)
    wait_for(lambda: phase_of(first) == "backfilling indexes", timeout=30, what="backfill")

    connection_service.update_credentials(
        connection, other_deployment.url, other_deployment.admin_key, actor=connection.user
    )
    worker.join(timeout=90)

    stopped = reload(first)
    assert stopped.status == "superseded"
    assert "stopped while waiting for the schema" in stopped.log
    assert [p["status"] for p in canary_deployment.pushes()] == ["started"]  # never finished
    connection.refresh_from_db()
    assert connection.url == other_deployment.url
    assert connection.deployed_version is None  # nothing was recorded for the old place
    successor = connection.deployments.active().get()
    assert successor.pk != first.pk
    run_deploy(successor.pk)
    connection.refresh_from_db()
    assert reload(successor).status == "succeeded"
    assert (connection.status, connection.deployed_version) == (
        "connected",
        package.current_version(),
    )
    assert meta_of(other_deployment)["schemaVersion"] == package.current_version()


def test_disconnecting_stops_a_running_deploy_before_it_changes_anything_more(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment
) -> None:
    connection, first = connected
    canary_deployment.set_backfill_ms(10 * 60 * 1000)
    worker = Worker(first.pk)
    wait_for(lambda: phase_of(first) == "backfilling indexes", timeout=30, what="backfill")

    connection_service.disconnect(connection, actor=connection.user)
    worker.join(timeout=90)

    stopped = reload(first)
    assert stopped.status == "cancelled"
    assert "stopped while waiting for the schema" in stopped.log
    assert [p["status"] for p in canary_deployment.pushes()] == ["started"]  # no finish_push
    assert canary_deployment.documents("byodMeta") == []  # no meta:record


def test_an_instant_in_progress_answer_is_polled_with_backoff_and_stops_on_cancel(
    connected: tuple[Connection, Deployment],
    canary_deployment: EmulatorDeployment,
    polls: list[float],
) -> None:
    connection, first = connected
    canary_deployment.set_fault("deploy2/wait_for_schema", status=200, body=IN_PROGRESS)
    worker = Worker(first.pk)
    wait_for(lambda: len(polls) >= 4, timeout=30, what="four polls")
    # Backoff from 0.25 s doubling: three pauses take at least 0.25 + 0.5 + 1 s.
    assert polls[3] - polls[0] >= 1.5

    connection_service.disconnect(connection, actor=connection.user)
    worker.join(timeout=15)
    assert reload(first).status == "cancelled"


def test_the_whole_schema_wait_is_bounded_by_a_setting(
    connected: tuple[Connection, Deployment],
    canary_deployment: EmulatorDeployment,
    settings: Any,
    polls: list[float],
) -> None:
    settings.BYOD_SCHEMA_WAIT_SECONDS = 2
    _, first = connected
    canary_deployment.set_fault("deploy2/wait_for_schema", status=200, body=IN_PROGRESS)
    worker = Worker(first.pk)
    worker.join(timeout=90)
    waiting = reload(first)  # a timeout is transient: retried later
    assert (waiting.status, waiting.error_category, waiting.error_retryable) == (
        "queued",
        "timeout",
        True,
    )
    assert polls[-1] - polls[0] >= 1.0
    assert len(polls) < 10


def test_a_malformed_progress_answer_is_a_protocol_error(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment
) -> None:
    _, first = connected
    malformed = {"type": "inProgress", "components": {"": {"indexesComplete": "lots"}}}
    canary_deployment.set_fault("deploy2/wait_for_schema", status=200, body=malformed)
    run_deploy(first.pk)
    failed = reload(first)
    assert (failed.status, failed.error_category) == ("failed", "protocol_error")


def test_a_persons_redeploy_supersedes_a_retry_waiting_in_the_queue(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment, settings: Any
) -> None:
    settings.BYOD_DEPLOY_RETRY_BASE_SECONDS = 600  # the retry would wait 5 to 10 minutes
    connection, first = connected
    canary_deployment.set_fault("deploy2/start_push", status=503, times=1)
    run_deploy(first.pk)
    waiting = reload(first)
    assert waiting.status == "queued" and waiting.next_attempt_at is not None

    now = request_deploy(connection, trigger="user", actor=connection.user)

    assert now.pk != waiting.pk
    assert reload(waiting).status == "superseded"
    assert now.next_attempt_at is None
    run_deploy(now.pk)
    assert reload(now).status == "succeeded"


def test_new_credentials_supersede_a_retry_waiting_in_the_queue(
    connected: tuple[Connection, Deployment],
    canary_deployment: EmulatorDeployment,
    other_deployment: EmulatorDeployment,
    settings: Any,
) -> None:
    settings.BYOD_DEPLOY_RETRY_BASE_SECONDS = 600
    connection, first = connected
    canary_deployment.set_fault("deploy2/start_push", status=503, times=1)
    run_deploy(first.pk)
    connection_service.update_credentials(
        connection, other_deployment.url, other_deployment.admin_key, actor=connection.user
    )
    assert reload(first).status == "superseded"
    successor = connection.deployments.active().get()
    run_deploy(successor.pk)
    assert reload(successor).status == "succeeded"
    assert meta_of(other_deployment)["schemaVersion"] == package.current_version()


def test_what_was_pushed_is_recorded_apart_from_what_was_verified(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment
) -> None:
    connection, first = connected
    # Paused after the push: functions refuse to run, so the version cannot be recorded.
    canary_deployment.set_fault("mutation", paused=True)
    run_deploy(first.pk)
    failed = reload(first)
    assert (failed.status, failed.error_category) == ("failed", "paused")
    assert failed.pushed_at is not None
    connection.refresh_from_db()
    assert connection.deployed_version is None  # not verified
    assert connection.pushed_version == package.current_version()
    assert connection.pushed_package_hash == failed.package_hash
