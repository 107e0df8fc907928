"""Deploys across real processes: a worker killed mid-deploy, and triggers racing each other."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.sandbox import ROOT, Sandbox
from tests.fixtures.canary import assert_no_canary, self_hosted_key
from tests.fixtures.emulator import EmulatorDeployment
from tests.fixtures.waiting import wait_for

pytestmark = pytest.mark.slow

CONNECT = """
import os
from byod.services.connections import connect
from tests.fixtures.people import make_user
user = make_user(os.environ.get("USER_NAME", "owner"))
connection = connect(user, os.environ["DEP_URL"], os.environ["DEP_KEY"], actor=user)
result = {"connection": connection.pk, "deployment": connection.deployments.get().pk}
"""


def stop(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> str:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, err = process.communicate(timeout=20)
    return err


def deployment_row(sandbox: Sandbox, pk: int) -> dict[str, Any]:
    row: dict[str, Any] = sandbox.row(
        "SELECT d.status, d.phase, d.attempt, d.error_category, c.lease_owner, "
        "c.lease_expires_at, c.status AS connection_status, c.deployed_version "
        "FROM byod_deployment d JOIN byod_connection c ON c.id = d.connection_id WHERE d.id = ?",
        pk,
    )
    return row


def test_a_worker_killed_mid_deploy_leaves_a_lease_that_expires_then_a_failure_and_a_retry(
    tmp_path: Path, canary_deployment: EmulatorDeployment
) -> None:
    sandbox = Sandbox(tmp_path, BYOD_DEPLOY_LEASE_SECONDS="3")
    # Index backfill that never ends keeps the first worker mid-deploy until we kill it.
    canary_deployment.set_backfill_ms(10 * 60 * 1000)
    ids = sandbox.python(
        CONNECT, DEP_URL=canary_deployment.url, DEP_KEY=canary_deployment.admin_key
    )
    worker_args = ("db_worker", "--interval", "0.1", "--no-startup-delay")

    first = sandbox.popen(*worker_args)
    try:
        wait_for(
            lambda: deployment_row(sandbox, ids["deployment"])["phase"] == "backfilling indexes",
            timeout=60,
            what="the first worker to reach index backfill",
        )
    finally:
        first_err = stop(first, signal.SIGKILL)
    killed = deployment_row(sandbox, ids["deployment"])
    assert killed["status"] == "running"
    assert killed["lease_owner"], "a running deploy holds a lease"

    canary_deployment.set_backfill_ms(0)
    second = sandbox.popen(*worker_args)
    try:
        done = wait_for(
            lambda: (
                (row := deployment_row(sandbox, ids["deployment"]))["status"]
                in ("succeeded", "failed")
                and row
            ),
            timeout=90,
            what="the deploy to be reaped and retried",
        )
    finally:
        second_err = stop(second)
    assert done["status"] == "succeeded", (done, second_err[-3000:])
    assert done["attempt"] == 2
    assert done["connection_status"] == "connected"
    assert done["lease_owner"] == ""
    recorded = sandbox.rows(
        "SELECT kind, message FROM byod_event WHERE deployment_id = ? ORDER BY id",
        ids["deployment"],
    )
    kinds = [r["kind"] for r in recorded]
    assert kinds.count("deploy.running") == 2
    retry = [r for r in recorded if r["kind"] == "deploy.retry_scheduled"]
    assert len(retry) == 1 and "worker_lost" in retry[0]["message"]
    # No task row stays RUNNING: the dead worker's is closed as failed, the retry's succeeded.
    tasks = sandbox.rows(
        "SELECT status, traceback FROM django_tasks_database_dbtaskresult WHERE task_path = ? "
        "ORDER BY enqueued_at",
        "byod.services.deploys.run.deploy_task",
    )
    assert [t["status"] for t in tasks if t["status"] == "RUNNING"] == []
    assert any(t["status"] == "FAILED" and "lease" in t["traceback"] for t in tasks), tasks
    # The secret never reached the workers' logs.
    assert_no_canary(first_err, second_err)


def test_two_processes_triggering_at_once_get_one_deploy(
    tmp_path: Path, canary_deployment: EmulatorDeployment
) -> None:
    sandbox = Sandbox(tmp_path)
    ids = sandbox.python(
        CONNECT, DEP_URL=canary_deployment.url, DEP_KEY=canary_deployment.admin_key
    )
    # Finish the first deploy, so the race is about a new one.
    sandbox.python(
        f"from byod.services.deploys.run import run_deploy\nrun_deploy({ids['deployment']})\n"
        "result = None"
    )
    # A start gate: each racer says "ready" once it is one call away from the trigger, then
    # waits for a line on stdin; when all three are ready, the test lets them go together.
    trigger = f"""
import sys
from byod.models import Connection
from byod.services.deploys.run import request_deploy
connection = Connection.objects.get(pk={ids["connection"]})
print("ready", flush=True)
sys.stdin.readline()
result = request_deploy(connection, trigger="admin").pk
"""
    script = "import json, django\ndjango.setup()\n" + trigger + "\nprint(json.dumps(result))"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=sandbox.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for racer in racers:
        assert racer.stdout is not None and racer.stdin is not None
        # Blocks until this racer is at the gate (or reads EOF if the racer failed).
        assert racer.stdout.readline() == "ready\n", racer.communicate(timeout=60)[1][-2000:]
    for racer in racers:
        racer.stdin.write("go\n")
        racer.stdin.flush()
    outputs = [r.communicate(timeout=60) for r in racers]
    assert all(r.returncode == 0 for r in racers), [err[-2000:] for _, err in outputs]
    got = {int(out.strip().splitlines()[-1]) for out, _ in outputs}
    assert len(got) == 1
    active = sandbox.rows(
        "SELECT id FROM byod_deployment WHERE connection_id = ? AND status = 'queued'",
        ids["connection"],
    )
    assert [r["id"] for r in active] == list(got)


def test_byod_deploy_runs_many_deploys_in_parallel_and_fails_loudly(
    tmp_path: Path, convex_emulator: Any, allow_emulator_hosts: None
) -> None:
    sandbox = Sandbox(tmp_path)
    created = []
    for i in range(4):
        name = f"par-{os.getpid()}-{i}-{int(time.time() * 1000) % 100000}"
        created.append(convex_emulator.create_deployment(name, admin_key=self_hosted_key(name)))
    try:
        for i, dep in enumerate(created):
            sandbox.python(CONNECT, USER_NAME=f"user{i}", DEP_URL=dep.url, DEP_KEY=dep.admin_key)
        created[3].set_fault("*", revoked_key=True)
        done = sandbox.manage("byod_deploy", "--all", "--concurrency", "4", check=False)
        assert done.returncode != 0
        assert "1 of 4 deploys did not succeed" in done.stderr
        assert "4/4 done, 1 failed" in done.stdout
        assert "3 succeeded" in done.stdout
        assert "bad_credentials" in done.stdout
        assert_no_canary(done.stdout, done.stderr)
    finally:
        for dep in created:
            convex_emulator.delete_deployment(dep.name)
