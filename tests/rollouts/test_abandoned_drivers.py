"""A rollout's driver whose worker was killed leaves its task row RUNNING: the watchdog (or
another driver) that finds its slot's lease expired closes the row and starts a new driver."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from byod.models import RolloutDriver
from byod.services.rollouts import control
from byod.services.rollouts.driver import drive_task, watch_rollout
from tests.deploy.test_abandoned_tasks import running_row
from tests.rollouts.conftest import Fleet

pytestmark = pytest.mark.django_db


def test_a_dead_drivers_task_row_is_closed_by_the_watchdog(fleet: Fleet) -> None:
    fleet(2)
    rollout = control.start(control.PlanOptions(wave_size=5, max_in_flight=1, drivers=2))
    # Driver 0's worker was killed a while ago: its slot's lease ran out. Driver 1 lives.
    RolloutDriver.objects.filter(rollout=rollout, slot=0).update(
        owner="host:1:dead", expires_at=timezone.now() - timedelta(minutes=1)
    )
    RolloutDriver.objects.filter(rollout=rollout, slot=1).update(
        owner="host:2:alive", expires_at=timezone.now() + timedelta(minutes=1)
    )
    dead = running_row(drive_task.module_path, [rollout.pk, 0], minutes_ago=5)
    alive = running_row(drive_task.module_path, [rollout.pk, 1], minutes_ago=5)

    watch_rollout(rollout.pk)

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == TaskResultStatus.FAILED and dead.finished_at is not None
    assert "driver 0" in dead.traceback and "expired" in dead.traceback
    assert alive.status == TaskResultStatus.RUNNING
    # ... and a new driver task was queued for the dead one's slot.
    assert DBTaskResult.objects.filter(
        task_path=drive_task.module_path,
        status=TaskResultStatus.READY,
        args_kwargs__args=[rollout.pk, 0],
    ).exists()


def test_a_dead_drivers_row_is_closed_after_its_rollout_ended_too(fleet: Fleet) -> None:
    fleet(1)
    rollout = control.start(control.PlanOptions(wave_size=5, max_in_flight=1, drivers=1))
    control.abort(rollout, reason="test")
    RolloutDriver.objects.filter(rollout=rollout).update(
        owner="host:1:dead", expires_at=timezone.now() - timedelta(minutes=1)
    )
    dead = running_row(drive_task.module_path, [rollout.pk, 0], minutes_ago=5)

    watch_rollout(rollout.pk)

    dead.refresh_from_db()
    assert dead.status == TaskResultStatus.FAILED
