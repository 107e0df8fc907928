"""Task rows queued before the services were grouped by capability still run after the move."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from byod.services.deploys import run
from byod.services.rollouts import driver

pytestmark = pytest.mark.django_db

OLD_PATHS = {
    "byod.services.deploy.deploy_task": run.deploy_task,
    "byod.services.deploy.watch_deploy_task": run.watch_deploy_task,
    "byod.services.rollout_driver.drive_task": driver.drive_task,
    "byod.services.rollout_driver.watch_rollout_task": driver.watch_rollout_task,
}


@pytest.mark.parametrize("old_path", sorted(OLD_PATHS))
def test_it_runs_a_row_queued_under_the_old_path(old_path: str) -> None:
    row = DBTaskResult(task_path=old_path, backend_name="default", args_kwargs={})
    assert row.task.func is OLD_PATHS[old_path].func


def test_new_rows_name_the_new_paths() -> None:
    assert run.deploy_task.module_path == "byod.services.deploys.run.deploy_task"
    assert driver.drive_task.module_path == "byod.services.rollouts.driver.drive_task"
