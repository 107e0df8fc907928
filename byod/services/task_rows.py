"""Closing the task rows a killed worker left RUNNING.

django-tasks-db never reclaims a row whose worker died mid-task: it stays RUNNING, and the task
admin shows work under way that nobody does. Whoever finds out that the work is dead (the
reaper for a deploy, a driver or the watchdog for a rollout's driver, the reaper's schedule for
a health batch) closes its row as failed, saying why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.tasks import Task, TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

# What the row says it failed with (no exception was raised: its worker was gone).
ABANDONED = "byod.errors.LeaseLost"


def close_abandoned(
    task: Task[..., Any],
    *,
    why: str,
    args: list[Any] | None = None,
    started_before: datetime | None = None,
) -> int:
    """Mark `task`'s RUNNING rows (those with `args`, those started before `started_before`)
    failed, with `why` as their traceback; how many."""
    rows = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, task_path=task.module_path)
    if args is not None:
        rows = rows.filter(args_kwargs__args=args)
    if started_before is not None:
        rows = rows.filter(started_at__lt=started_before)
    return rows.update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path=ABANDONED,
        traceback=why,
    )
