"""A worker that dies mid-deploy leaves its task row RUNNING; reaping the deploy closes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from byod import transitions
from byod.models import Connection, Deployment
from byod.services.deploys import lease
from byod.services.deploys.run import deploy_task, reap_and_retry

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
