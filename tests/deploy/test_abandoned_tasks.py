"""A worker that dies mid-task leaves its task row RUNNING; whoever finds the work dead closes
it: reaping a deploy, the rollout's watchdog for a driver, the reaper's schedule for a health
batch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from byod import transitions
from byod.models import Connection, Deployment
from byod.schedule import reap_task
from byod.services.deploys import lease
from byod.services.deploys.run import deploy_task, reap_and_retry
from byod.services.health import check_batch_task, check_connections_task, claim_seconds

pytestmark = pytest.mark.django_db


def task_row(deployment_id: int, status: str = TaskResultStatus.RUNNING) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [deployment_id], "kwargs": {}},
        task_path=deploy_task.module_path,
        backend_name="default",
        run_after=timezone.now(),
        started_at=timezone.now() - timedelta(minutes=5),
        worker_ids=["dead-worker"],
    )


def test_reaping_a_deploy_closes_the_task_row_its_dead_worker_left_running(
    connected: tuple[Connection, Deployment],
) -> None:
    connection, queued = connected
    assert lease.take(connection.pk, "dead-worker")
    transitions.mark_deploy_running(queued, worker="dead-worker")
    Connection.objects.filter(pk=connection.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    abandoned = task_row(queued.pk)
    other_deploys_row = task_row(queued.pk + 1000)

    reaped = reap_and_retry()

    assert [r.deployment_id for r in reaped] == [queued.pk]
    abandoned.refresh_from_db()
    assert abandoned.status == TaskResultStatus.FAILED
    assert abandoned.finished_at is not None
    assert "worker" in abandoned.traceback and "lease" in abandoned.traceback
    other_deploys_row.refresh_from_db()
    assert other_deploys_row.status == TaskResultStatus.RUNNING  # not ours to close


def running_row(task_path: str, args: list[object], *, minutes_ago: float) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        args_kwargs={"args": args, "kwargs": {}},
        task_path=task_path,
        backend_name="default",
        run_after=timezone.now(),
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
        worker_ids=["a-worker"],
    )


def test_health_batches_whose_worker_died_are_closed_by_the_reaper(db: None) -> None:
    # A rollout's dead drivers: tests/rollouts/test_abandoned_drivers.py.
    long_ago = (claim_seconds() + 120) / 60
    dead_batch = running_row(check_batch_task.module_path, ["claim"], minutes_ago=long_ago)
    dead_check = running_row(check_connections_task.module_path, [[1, 2]], minutes_ago=long_ago)
    live = running_row(check_batch_task.module_path, ["other"], minutes_ago=0.5)

    reap_task.call()

    for row in (dead_batch, dead_check, live):
        row.refresh_from_db()
    assert dead_batch.status == dead_check.status == TaskResultStatus.FAILED
    assert "health check" in dead_batch.traceback
    assert live.status == TaskResultStatus.RUNNING
