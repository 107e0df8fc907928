"""Workers and the site survive the database blinking: a transient database error is waited out
by the task worker (`manage.py db_worker`), `manage.py serve` starts again a worker that exits,
and a deploy interrupted by one ends retryable."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from byod import transitions
from byod.management.commands import db_worker
from byod.models import Connection, Deployment
from byod.services.deploys.run import deploy_task, run_deploy
from tests.deploy.sandbox import Sandbox
from tests.deploy.test_workers import stop
from tests.fixtures.waiting import wait_for
from tests.site.gate_task import wait_for_gate


def worker(**options: Any) -> db_worker.Worker:
    values: dict[str, Any] = {
        "queue_names": ["*"],
        "interval": 0,
        "batch": False,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": 1,
        "worker_id": "test-worker",
        "excluded_queue_names": [],
    }
    return db_worker.Worker(**{**values, **options})


@pytest.fixture
def quick_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_worker, "FIRST_PAUSE_SECONDS", 0.01)


@pytest.mark.django_db(transaction=True)
def test_the_worker_goes_on_after_a_database_error_in_its_loop(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    quick_pauses: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate = tmp_path / "gate"
    gate.write_text("through")
    queued = wait_for_gate.enqueue(str(gate))
    real = DBTaskResultQuerySet.get_locked
    failures = ["unable to open database file", "server closed the connection unexpectedly"]

    def flaky(self: DBTaskResultQuerySet) -> Any:
        if failures:
            raise OperationalError(failures.pop(0))
        return real(self)

    monkeypatch.setattr(DBTaskResultQuerySet, "get_locked", flaky)

    worker().run()  # returns after its one task (max_tasks=1)

    done = DBTaskResult.objects.get(pk=queued.id)
    assert (done.status, done.return_value) == (TaskResultStatus.SUCCESSFUL, "through")
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("the database failed" in s and "unable to open" in s for s in said), said


@pytest.mark.django_db(transaction=True)
def test_the_worker_records_a_tasks_end_once_the_database_takes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quick_pauses: None
) -> None:
    gate = tmp_path / "gate"
    gate.write_text("through")
    queued = wait_for_gate.enqueue(str(gate))
    real_save = DBTaskResult.save
    refusals = [5]  # more than django-tasks-db's own three quick tries

    def locked_at_the_end(self: DBTaskResult[Any, Any], *args: Any, **kwargs: Any) -> None:
        if "finished_at" in (kwargs.get("update_fields") or ()) and refusals[0]:
            refusals[0] -= 1
            raise OperationalError("database is locked")
        real_save(self, *args, **kwargs)

    monkeypatch.setattr(DBTaskResult, "save", locked_at_the_end)

    worker().run()

    done = DBTaskResult.objects.get(pk=queued.id)
    assert (done.status, done.return_value) == (TaskResultStatus.SUCCESSFUL, "through")
    assert refusals == [0]


@pytest.mark.django_db
def test_a_deploy_hit_by_a_database_error_is_retried(
    connected: tuple[Connection, Deployment],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _, queued = connected
    real = transitions.mark_pushed
    blinks = [OperationalError("database is locked")]

    def blink(*args: Any, **kwargs: Any) -> Any:
        if blinks:
            raise blinks.pop()
        return real(*args, **kwargs)

    monkeypatch.setattr(transitions, "mark_pushed", blink)

    with django_capture_on_commit_callbacks(execute=True):
        run_deploy(queued.pk)

    row = Deployment.objects.get(pk=queued.pk)
    assert (row.status, row.attempt, row.error_category) == ("queued", 1, "database_unavailable")
    assert row.error_retryable is True and row.next_attempt_at is not None
    retries = DBTaskResult.objects.filter(
        task_path=deploy_task.module_path, status=TaskResultStatus.READY
    )
    assert [r for r in retries if r.args_kwargs["args"] == [queued.pk]]
    # The retry deploys as usual.
    Deployment.objects.filter(pk=queued.pk).update(next_attempt_at=None)
    run_deploy(queued.pk)
    assert Deployment.objects.get(pk=queued.pk).status == "succeeded"


def task_status(sandbox: Sandbox, task_id: str) -> str:
    row = sandbox.row(
        "SELECT status FROM django_tasks_database_dbtaskresult WHERE id = ?",
        task_id.replace("-", ""),
    )
    return str(row["status"]) if row else ""


def enqueue_gate(sandbox: Sandbox, gate: Path) -> str:
    return str(
        sandbox.python(
            f"from tests.site.gate_task import wait_for_gate\n"
            f"result = str(wait_for_gate.enqueue({str(gate)!r}).id)"
        )
    )


@pytest.mark.slow
def test_a_worker_facing_a_locked_database_past_its_busy_timeout_keeps_running(
    tmp_path: Path,
) -> None:
    sandbox = Sandbox(tmp_path, SANDBOX_SQLITE_TIMEOUT="1")
    gate, log = tmp_path / "gate", tmp_path / "worker.log"
    first = enqueue_gate(sandbox, gate)
    process = sandbox.popen("db_worker", "--interval", "0.1", "--no-startup-delay", log=log)
    try:
        wait_for(lambda: task_status(sandbox, first) == "RUNNING", timeout=60, what="the task")
        # Another process holds the write lock for several busy timeouts, while the task ends.
        lock = sqlite3.connect(sandbox.db, isolation_level=None, timeout=30)
        lock.execute("BEGIN EXCLUSIVE")
        gate.write_text("through")
        wait_for(
            lambda: "could not record the end of a task" in log.read_text(),
            timeout=60,
            what="the worker to meet the lock past its busy timeout",
        )
        lock.execute("COMMIT")
        lock.close()
        wait_for(
            lambda: task_status(sandbox, first) == "SUCCESSFUL",
            timeout=60,
            what="the task's end to be recorded",
        )
        assert process.poll() is None, log.read_text()[-3000:]
        second = enqueue_gate(sandbox, gate)  # the gate is open: it ends at once
        wait_for(
            lambda: task_status(sandbox, second) == "SUCCESSFUL",
            timeout=60,
            what="the same worker to run the next task",
        )
    finally:
        stop(process)


def serve_pids(log: Path, name: str) -> list[int]:
    return [
        int(line.rsplit("(pid ", 1)[1].rstrip(").\n"))
        for line in log.read_text().splitlines()
        if line.startswith(f"Started {name} (pid ")
    ]


@pytest.mark.slow
def test_serve_starts_a_killed_worker_again_and_keeps_the_site_up(tmp_path: Path) -> None:
    from tests.site.test_serving import first_answer, free_port

    sandbox = Sandbox(tmp_path)
    log = tmp_path / "serve.log"
    port = free_port()
    serve = sandbox.popen(
        "serve", f"127.0.0.1:{port}", "--no-scheduler", "--web-processes", "1", log=log
    )
    try:
        first_answer(f"http://127.0.0.1:{port}/accounts/login/", serve)
        [killed] = wait_for(lambda: serve_pids(log, "db_worker"), timeout=30, what="a worker")
        os.killpg(killed, signal.SIGKILL)
        wait_for(
            lambda: len(serve_pids(log, "db_worker")) == 2,
            timeout=30,
            what="serve to start the worker again",
        )
        assert f"db_worker (pid {killed}) was killed by SIGKILL" in log.read_text()
        assert serve.poll() is None
        gate = tmp_path / "gate"
        gate.write_text("through")
        task = enqueue_gate(sandbox, gate)
        wait_for(
            lambda: task_status(sandbox, task) == "SUCCESSFUL",
            timeout=60,
            what="the new worker to run a task",
        )
        assert first_answer(f"http://127.0.0.1:{port}/accounts/login/", serve).status_code == 200
        # gunicorn's control socket is this instance's, not the user's shared default.
        runtime = Path(__file__).resolve().parents[2] / "var" / "run" / f"127.0.0.1-{port}"
        assert (runtime / "gunicorn.ctl").exists()
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=60)
    finally:
        stop(serve)
    assert serve.returncode == 0, log.read_text()[-3000:]
    assert not runtime.exists()
