"""What the scheduler enqueues, and how often (django-periodic-tasks; `manage.py run_scheduler`).

The scheduler keeps one row per entry in the database and enqueues an entry only inside the
transaction that locks its due row (`SELECT ... FOR UPDATE SKIP LOCKED`; SQLite serializes the
same transactions) and moves its next run time on: any number of schedulers enqueue each run
once. The tasks themselves are safe to overlap too: a sweep claims connections with conditional
UPDATEs, the outbox collects under a row lock and sends each mail once, the reaper takes leases,
a purge marks each move purged once (conditional UPDATE) and its removals are idempotent.

Imported by `byod.apps.ByodConfig.ready`, so every process knows the entries; only the
scheduler acts on them.
"""

from __future__ import annotations

from typing import Any

from django.tasks import Task, task
from django_periodic_tasks import schedule_registry

from byod.conf import conf
from byod.services.deploys.run import reap_and_retry
from byod.services.downloads.purge import purge_downloads_task
from byod.services.health import close_abandoned_batches, sweep_task
from byod.services.moves.purge import purge_task
from byod.services.moves.run import reap_and_resume
from byod.services.notify import outbox_task


@task()
def reap_task() -> int:
    """Record deploys whose worker died and enqueue their retries (a safety net: every deploy
    also watches itself), put moves whose worker died back in the queue, and close the task
    rows of health batches whose worker died. Here rather than in services/deploys/run.py,
    which only the deploy path changes."""
    reaped = len(reap_and_retry()) + len(reap_and_resume())
    close_abandoned_batches()
    return reaped


def entries() -> dict[str, tuple[Task[..., Any], str]]:
    """Every entry: its name, its task and its cron."""
    minutes = conf().health.sweep_minutes
    sweep_cron = {1: "* * * * *", 60: "0 * * * *"}.get(minutes, f"*/{minutes} * * * *")
    return {
        "byod.health.sweep": (sweep_task, sweep_cron),
        "byod.notify.outbox": (outbox_task, "* * * * *"),
        "byod.deploy.reap": (reap_task, "* * * * *"),
        # The old copies of finished moves, once kept BYOD_MOVE_KEEP_DAYS.
        "byod.moves.purge": (purge_task, "*/15 * * * *"),
        # Downloads' files, once kept BYOD_DOWNLOAD_KEEP_HOURS.
        "byod.downloads.purge": (purge_downloads_task, "*/10 * * * *"),
    }


def register() -> None:
    """Put the entries in the scheduler's registry (once per process)."""
    known = schedule_registry.get_entries()
    for name, (entry, cron) in entries().items():
        if name not in known:
            schedule_registry.register(entry, cron=cron, name=name)
