"""Only the holder writes, across real `db_worker` processes: a worker paused past its lease
(SIGSTOP, then SIGCONT) records nothing over the attempt that took over, and a slow call never
lets a second worker deploy to the same connection while the first one's call is under way."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.sandbox import Sandbox
from tests.deploy.test_workers import CONNECT, deployment_row, stop
from tests.fixtures.emulator import EmulatorDeployment
from tests.fixtures.waiting import wait_for

pytestmark = pytest.mark.slow

WORKER = ("db_worker", "--interval", "0.1", "--no-startup-delay")


def events_of(sandbox: Sandbox, deployment_id: int) -> list[dict[str, Any]]:
    return sandbox.rows(
        "SELECT kind, message FROM byod_event WHERE deployment_id = ? ORDER BY id", deployment_id
    )


def test_a_worker_paused_past_its_lease_records_nothing_over_the_attempt_that_took_over(
    tmp_path: Path, canary_deployment: EmulatorDeployment
) -> None:
    sandbox = Sandbox(tmp_path, BYOD_DEPLOY_LEASE_SECONDS="3")
    canary_deployment.set_backfill_ms(10 * 60 * 1000)  # A's push stays in index backfill
    ids = sandbox.python(
        CONNECT, DEP_URL=canary_deployment.url, DEP_KEY=canary_deployment.admin_key
    )
    deployment = ids["deployment"]
    a_log, b_log = tmp_path / "a.log", tmp_path / "b.log"

    a = sandbox.popen(*WORKER, log=a_log)
    b = None
    try:
        wait_for(
            lambda: deployment_row(sandbox, deployment)["phase"] == "backfilling indexes",
            timeout=60,
            what="worker A to wait for its schema",
        )
        a.send_signal(signal.SIGSTOP)
        # B's push takes a while too, so that A wakes while B's attempt runs.
        canary_deployment.set_backfill_ms(8000)
        b = sandbox.popen(*WORKER, log=b_log)
        wait_for(
            lambda: (
                (row := deployment_row(sandbox, deployment))["attempt"] == 2
                and row["phase"] == "backfilling indexes"
            ),
            timeout=60,
            what="the reaper to record attempt 1 and worker B to push attempt 2",
        )
        a.send_signal(signal.SIGCONT)
        # A wakes to B's push: its next poll answers raceDetected (or its renewal fails).
        wait_for(
            lambda: "no longer holds it" in a_log.read_text() or "lease lost" in a_log.read_text(),
            timeout=60,
            what="worker A to find out that it lost its attempt",
        )
        done = wait_for(
            lambda: (
                (row := deployment_row(sandbox, deployment))["status"] in ("succeeded", "failed")
                and row
            ),
            timeout=90,
            what="worker B to finish attempt 2",
        )
    finally:
        a.send_signal(signal.SIGCONT)
        stop(a)
        if b is not None:
            stop(b)
    assert done["status"] == "succeeded", (done, b_log.read_text()[-3000:])
    assert done["attempt"] == 2
    assert done["connection_status"] == "connected"
    recorded = events_of(sandbox, deployment)
    kinds = [e["kind"] for e in recorded]
    assert kinds.count("deploy.running") == 2
    retries = [e["message"] for e in recorded if e["kind"] == "deploy.retry_scheduled"]
    assert len(retries) == 1 and "worker_lost" in retries[0], retries
    assert "deploy.failed" not in kinds
    log = sandbox.row("SELECT log FROM byod_deployment WHERE id = ?", deployment)["log"]
    assert "push_race" not in log and "push_race" not in str(recorded)


def test_a_slow_call_keeps_its_lease_so_no_second_worker_deploys_meanwhile(
    tmp_path: Path, canary_deployment: EmulatorDeployment
) -> None:
    # The push's first call answers after twice the lease; a second worker is idle and runs
    # the watchdog as soon as the lease would have expired.
    sandbox = Sandbox(tmp_path, BYOD_DEPLOY_LEASE_SECONDS="3")
    canary_deployment.set_fault("deploy2/start_push", latency_ms=6000, times=1)
    ids = sandbox.python(
        CONNECT, DEP_URL=canary_deployment.url, DEP_KEY=canary_deployment.admin_key
    )
    deployment = ids["deployment"]
    workers = [sandbox.popen(*WORKER, log=tmp_path / f"w{i}.log") for i in range(2)]
    try:
        done = wait_for(
            lambda: (
                (row := deployment_row(sandbox, deployment))["status"] in ("succeeded", "failed")
                and row
            ),
            timeout=90,
            what="the deploy to end",
        )
        # The watchdog of attempt 1 ran meanwhile and found the lease alive.
        wait_for(
            lambda: sandbox.row(
                "SELECT COUNT(*) AS n FROM django_tasks_database_dbtaskresult "
                "WHERE task_path LIKE '%watch_deploy_task' AND status = 'SUCCESSFUL'"
            )["n"],
            timeout=30,
            what="the deploy's watchdog to run",
        )
    finally:
        for worker in workers:
            stop(worker)
    assert done["status"] == "succeeded", done
    assert done["attempt"] == 1
    kinds = [e["kind"] for e in events_of(sandbox, deployment)]
    assert kinds.count("deploy.running") == 1
    assert "deploy.retry_scheduled" not in kinds
    # One push, started and finished by one worker: nobody pushed while it was under way.
    assert [p["status"] for p in canary_deployment.pushes()] == ["finished"]
