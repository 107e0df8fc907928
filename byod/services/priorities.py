"""Which task a worker claims first: django-tasks' `priority` (higher first, then the earliest
due), one word per kind of work.

- USER: work a person waits for: "Check now", "Count documents", a person's own deploy or
  update (a user's, an operator's, a command's), an operator's "Check credentials now".
- BACKGROUND (django-tasks' default, 0): the scheduler's sweep and its batches, the outbox, the
  reaper, watchdogs, retries.
- ROLLOUT: a rollout's drivers. A driver runs for as long as its rollout does, so it also gives
  way while it runs: it stops claiming when USER work has waited longer than
  `USER_WORK_GRACE_SECONDS` (no idle worker took it), lets its deploys in flight finish, and
  enqueues itself again behind that work (`byod.services.rollouts.driver`). With a single
  worker, a person's task therefore waits at most for the deploys the driver already runs.

Every task is on django-tasks' default queue, so any `db_worker` serves every kind.
"""

from __future__ import annotations

from datetime import timedelta

from django.tasks.base import DEFAULT_TASK_PRIORITY
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

USER = 50
BACKGROUND = DEFAULT_TASK_PRIORITY
ROLLOUT = -50

# How long a person's task may wait for an idle worker (they look every second, by default)
# before a driver makes room for it.
USER_WORK_GRACE_SECONDS = 2.0


def user_work_waiting() -> bool:
    """Whether a person's task has been ready for longer than the grace: no idle worker took it."""
    since = timezone.now() - timedelta(seconds=USER_WORK_GRACE_SECONDS)
    ready = DBTaskResult.objects.ready().filter(priority__gte=USER, enqueued_at__lte=since)
    return ready.exists()
