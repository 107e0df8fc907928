"""Moves across real processes: a worker killed mid-copy, and the move it leaves resumed by
another; a move and a deploy never hold the user's connection at once."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from byod.models import Deployment, DeploymentStatus, Move, MoveDirection, MoveStatus
from byod.package.version import CURRENT_VERSION
from byod.services.deploys import lease
from byod.services.deploys.run import request_deploy, run_deploy
from byod.services.moves import control
from byod.services.moves.run import run_move
from tests.deploy.sandbox import Sandbox
from tests.deploy.test_workers import stop
from tests.fixtures.emulator import Emulator, EmulatorDeployment
from tests.fixtures.waiting import wait_for
from tests.moves.conftest import Pair, assert_all_there_once, deployment_with_package, seed

SETUP = """
import os
from byod.keys import seal_deploy_key
from byod.models import Connection
from tests.fixtures.people import make_user

owner, system = make_user("owner"), make_user("system")

def connection(user, url, key, **fields):
    sealed = seal_deploy_key(key, owner=user.external_id)
    return Connection.objects.create(
        user=user, url=url, deployment_name="emulated", key_ciphertext=sealed.ciphertext,
        key_id=sealed.key_id, status="connected", deployed_version=int(os.environ["VERSION"]),
        **fields,
    )

connection(system, os.environ["MAIN_URL"], os.environ["MAIN_KEY"], is_main=True)
connection(owner, os.environ["OWN_URL"], os.environ["OWN_KEY"])
result = {"owner": str(owner.external_id)}
"""


def connected_sandbox(
    tmp_path: Path, main: EmulatorDeployment, own: EmulatorDeployment, **settings: str
) -> tuple[Sandbox, str]:
    """A sandbox for moves (no settling, batches of 50, quick retries; `settings` on top) whose
    owner is connected to `own`, beside the main deployment `main`; and the owner's id."""
    sandbox = Sandbox(
        tmp_path,
        BYOD_MOVE_SETTLE_SECONDS="0",
        BYOD_MOVE_BATCH_SIZE="50",
        BYOD_MOVE_RETRY_SECONDS="0.2",
        **settings,
    )
    ids = sandbox.python(
        SETUP,
        VERSION=str(CURRENT_VERSION),
        MAIN_URL=main.url,
        MAIN_KEY=main.admin_key,
        OWN_URL=own.url,
        OWN_KEY=own.admin_key,
    )
    return sandbox, str(ids["owner"])


REQUEST = """
from accounts.models import User
from byod.services.moves import control
result = control.request_move(User.objects.get(username="owner"), "in", actor=None).pk
"""


def move_row(sandbox: Sandbox, pk: int) -> dict[str, Any]:
    row: dict[str, Any] = sandbox.row(
        "SELECT status, phase, attempts, tables, error_message FROM byod_move WHERE id = ?", pk
    )
    return row


@pytest.mark.slow
def test_a_worker_killed_mid_copy_leaves_a_move_that_resumes_and_ends_with_each_document_once(
    tmp_path: Path, convex_emulator: Emulator, allow_emulator_hosts: None
) -> None:
    main = deployment_with_package(convex_emulator)
    own = deployment_with_package(convex_emulator)
    sandbox, owner_id = connected_sandbox(
        tmp_path,
        main,
        own,
        BYOD_DEPLOY_LEASE_SECONDS="3",
        # A write holds the move's lease until its deadline: the killed worker's lease lasts
        # that long after its last write (60 s by default; these take milliseconds).
        BYOD_DATA_WORKER_CALL_SECONDS="10",
    )
    mine = seed(main, (owner_id, "owner"), conversations=10, per_conversation=100)
    own.set_fault("mutation", latency_ms=150)  # slow enough to be caught mid-copy
    move_id = sandbox.python(REQUEST)
    worker_args = ("db_worker", "--interval", "0.1", "--no-startup-delay")

    def copied() -> int:
        tables = json.loads(move_row(sandbox, move_id)["tables"] or "{}")
        return sum(int(state.get("copied") or 0) for state in tables.values())

    first = sandbox.popen(*worker_args)
    try:
        wait_for(lambda: copied() > 200, timeout=120, what="the first worker to copy a part")
    finally:
        first_err = stop(first, signal.SIGKILL)
    killed = move_row(sandbox, move_id)
    assert killed["status"] == "running", (killed, first_err[-2000:])
    assert 0 < copied() < mine.total

    own.clear_faults()
    second = sandbox.popen(*worker_args)
    try:
        done = wait_for(
            lambda: (row := move_row(sandbox, move_id))["status"] in ("done", "failed") and row,
            timeout=180,
            what="the move to be reaped and resumed",
        )
    finally:
        second_err = stop(second)
    assert done["status"] == "done", (done, second_err[-3000:])
    assert done["attempts"] == 2
    assert_all_there_once(own, mine)
    # Counted once each: a batch sent again after the kill wrote nothing the second time.
    assert copied() == mine.total
    kinds = [
        r["kind"]
        for r in sandbox.rows("SELECT kind FROM byod_event WHERE move_id = ? ORDER BY id", move_id)
    ]
    assert kinds.count("move.interrupted") == 1 and kinds[-1] == "move.done"
    # No task row stays RUNNING: the dead worker's is closed as failed, saying why.
    tasks = sandbox.rows(
        "SELECT status, traceback FROM django_tasks_database_dbtaskresult WHERE task_path = ?",
        "byod.services.moves.run.move_task",
    )
    assert [t for t in tasks if t["status"] == "RUNNING"] == []
    assert any(t["status"] == "FAILED" and "lease" in t["traceback"] for t in tasks), tasks
    location = sandbox.row("SELECT kind FROM byod_contentlocation")
    assert location == {"kind": "own"}
    lease_left = sandbox.row(
        "SELECT lease_owner, lease_kind FROM byod_connection WHERE is_main = 0"
    )
    assert lease_left == {"lease_owner": "", "lease_kind": ""}


def test_a_deploy_waits_for_a_move_and_a_move_for_a_deploy(pair: Pair, owner: User) -> None:
    mine = seed(pair.main, owner, conversations=2, per_conversation=10)
    deployment = request_deploy(pair.own_connection, trigger="user", actor=owner)
    move = control.request_move(owner, MoveDirection.IN, actor=owner)
    during: list[str] = []

    def deploy_now(seen: Move) -> None:
        if not during:
            run_deploy(deployment.pk)
            during.append(Deployment.objects.get(pk=deployment.pk).status)

    run_move(move.pk, progress=deploy_now)
    move.refresh_from_db()
    assert move.status == MoveStatus.DONE, move.error_message
    assert during == [DeploymentStatus.QUEUED]  # the move held the connection
    assert_all_there_once(pair.own, mine)
    run_deploy(deployment.pk)
    assert Deployment.objects.get(pk=deployment.pk).status == DeploymentStatus.SUCCEEDED

    assert lease.take(pair.own_connection.pk, "a deploy")
    back = control.request_move(owner, MoveDirection.BACK, actor=owner)
    run_move(back.pk)
    back.refresh_from_db()
    assert back.status == MoveStatus.QUEUED  # the deploy holds it: the move waits its turn
    lease.release(pair.own_connection.pk, "a deploy")
    run_move(back.pk)
    back.refresh_from_db()
    assert back.status == MoveStatus.DONE, back.error_message
