"""`manage.py db_worker`: django-tasks-db's worker, made to outlive a database that blinks.

django-tasks-db's worker exits on a database error it does not expect: SQLite's "database is
locked" past the busy timeout while it records a task's end, the database file gone for a
moment, a PostgreSQL restart. The deploys it ran stopped with it, and under `manage.py serve`
the whole site did. This worker (the same command, options and behaviour otherwise):

- goes on after a transient database error of its loop (`TRANSIENT_DATABASE_ERRORS`): it logs
  it, drops the broken connection and tries again after a pause (0.5 s, doubling to 30 s);
- records a task's end (successful or failed) until the database takes it, instead of after
  three quick tries, which left the row RUNNING and the worker gone;
- stops on SIGINT or SIGTERM as before, or on any other error.

It is found before django-tasks-db's command because `byod` comes before `django_tasks_db` in
INSTALLED_APPS. A task that meets a database error itself decides what that means (a deploy
ends retryable: `database_unavailable`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError
from django.db import close_old_connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker as upstream
from django_tasks_db.models import DBTaskResult

from byod.errors import TRANSIENT_DATABASE_ERRORS

logger = logging.getLogger("django_tasks_db")

FIRST_PAUSE_SECONDS, MAX_PAUSE_SECONDS = 0.5, 30.0


class Pause:
    """Exponential backoff between tries: 0.5 s doubling up to 30 s, starting over once the
    database has answered for longer than the cap."""

    def __init__(self) -> None:
        self.next = FIRST_PAUSE_SECONDS
        self._since = time.monotonic()

    def take(self) -> float:
        if time.monotonic() - self._since > MAX_PAUSE_SECONDS:
            self.next = FIRST_PAUSE_SECONDS  # it had recovered in between
        taken = self.next
        time.sleep(taken)
        self.next = min(taken * 2, MAX_PAUSE_SECONDS)
        self._since = time.monotonic()
        return taken


class Worker(upstream.Worker):
    """django-tasks-db's worker, going on through transient database errors."""

    def run(self) -> None:
        pause = Pause()
        while True:
            try:
                super().run()
                return
            except TRANSIENT_DATABASE_ERRORS as error:
                if not self.running:  # told to stop: nothing to go on with
                    raise
                logger.warning(
                    "Worker %s: the database failed (%s: %s); going on in %.1f s.",
                    self.worker_id,
                    type(error).__name__,
                    error,
                    pause.next,
                )
                _drop_broken_connections()
                pause.take()
                self.startup_delay = False  # once is enough

    def run_task(self, db_task_result: DBTaskResult[Any, Any]) -> None:
        # The upstream worker records the end with three quick tries; a database away for
        # longer made that raise out of the worker, leaving the row RUNNING.
        for name in ("set_successful", "set_failed"):
            setattr(db_task_result, name, self._until_recorded(getattr(db_task_result, name)))
        super().run_task(db_task_result)

    def _until_recorded(self, record: Callable[..., None]) -> Callable[..., None]:
        def recorded(*args: Any) -> None:
            pause = Pause()
            while True:
                try:
                    record(*args)
                    return
                except TRANSIENT_DATABASE_ERRORS as error:
                    if not self.running:
                        raise
                    logger.warning(
                        "Worker %s: could not record the end of a task (%s: %s); "
                        "trying again in %.1f s.",
                        self.worker_id,
                        type(error).__name__,
                        error,
                        pause.next,
                    )
                    _drop_broken_connections()
                    pause.take()

        return recorded


def _drop_broken_connections() -> None:
    try:
        close_old_connections()  # closes the ones that failed and cannot be used again
    except TRANSIENT_DATABASE_ERRORS:
        pass  # closing a dead connection can fail too; the next query opens a new one


class Command(upstream.Command):
    help = upstream.Command.help + ", going on through transient database errors"

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        interval: float,
        batch: bool,
        backend_name: str,
        startup_delay: bool,
        reload: bool,
        max_tasks: int | None,
        worker_id: str,
        exclude_queues: str,
        **options: Any,
    ) -> None:
        # django-tasks-db's handle, with this module's Worker.
        self.configure_logging(verbosity)
        if reload and batch:
            logger.warning("--reload and --batch cannot be specified together: no autoreload.")
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the child process
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
