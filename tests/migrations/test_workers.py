"""A worker killed mid-migration, with real processes: the next attempt resumes from the cursor."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.sandbox import Sandbox
from tests.deploy.test_workers import stop
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.emulator import EmulatorDeployment
from tests.fixtures.waiting import wait_for
from tests.migrations.helpers import runner_state

pytestmark = pytest.mark.slow

DOCUMENTS = 5000
NAME = "v2:conversation-flags"

ON_V1 = """
import os
from byod.services.connections import connect
from byod.services.deploys.run import request_deploy, run_deploy
from tests.fixtures.people import make_user
user = make_user("owner")
connection = connect(user, os.environ["DEP_URL"], os.environ["DEP_KEY"], actor=user)
connection.deployments.get().delete()  # connecting queued the current version: start at v1
first = request_deploy(connection, trigger="admin", version=1)
run_deploy(first.pk)
first.refresh_from_db()
result = {"connection": connection.pk, "v1": first.status}
"""

UPGRADE = """
import os
from byod.models import Connection
from byod.services.deploys.run import request_deploy
connection = Connection.objects.get(pk=int(os.environ["CONNECTION"]))
result = request_deploy(connection, trigger="admin", version=2).pk
"""


def conversation(i: int) -> dict[str, Any]:
    return {"userId": f"user-{i % 9}", "title": f"chat {i}", "createdAt": i, "updatedAt": i}


def test_a_worker_killed_mid_migration_is_resumed_from_the_saved_cursor(
    tmp_path: Path, canary_deployment: EmulatorDeployment
) -> None:
    # A call that changes the deployment holds the lease until its deadline: the killed
    # worker's lease lasts that long after its last one (60 s by default).
    sandbox = Sandbox(
        tmp_path,
        BYOD_DEPLOY_LEASE_SECONDS="3",
        BYOD_DEPLOY_CALL_SECONDS="20",
        BYOD_MIGRATION_BATCH_SIZE="25",
    )
    ids = sandbox.python(ON_V1, DEP_URL=canary_deployment.url, DEP_KEY=canary_deployment.admin_key)
    assert ids["v1"] == "succeeded"
    canary_deployment.insert_many("conversations", [conversation(i) for i in range(DOCUMENTS)])
    # Each batch waits at the deployment, so the migration takes seconds: time to kill it.
    canary_deployment.set_fault("mutation", latency_ms=40)
    upgrade = sandbox.python(UPGRADE, CONNECTION=str(ids["connection"]))
    worker = ("db_worker", "--interval", "0.1", "--no-startup-delay")

    def running_run() -> dict[str, Any] | None:
        row: dict[str, Any] | None = sandbox.row(
            "SELECT status, processed FROM byod_migrationrun WHERE deployment_id = ? "
            "ORDER BY id DESC",
            upgrade,
        )
        return row

    first = sandbox.popen(*worker)
    try:
        wait_for(
            lambda: (run := running_run()) is not None and run["processed"] >= 1000,
            timeout=120,
            what="the first worker to migrate 1,000 documents",
        )
    finally:
        first_err = stop(first, signal.SIGKILL)
    killed = running_run()
    assert killed is not None and killed["status"] == "running"
    # What the deployment saved with its last committed batch: where a resume must start. A
    # batch sent just before the kill may still be committed by the deployment (the requests
    # carry 40 ms of latency): read it once it has stopped moving.
    saved_at_kill, previous = runner_state(canary_deployment, NAME)[NAME]["processed"], -1
    for _ in range(20):
        if saved_at_kill == previous:
            break
        time.sleep(0.3)
        previous, saved_at_kill = (
            saved_at_kill,
            runner_state(canary_deployment, NAME)[NAME]["processed"],
        )
    assert 1000 <= saved_at_kill < DOCUMENTS
    canary_deployment.clear_faults()

    second = sandbox.popen(*worker)
    try:
        done = wait_for(
            lambda: (
                (row := sandbox.row("SELECT * FROM byod_deployment WHERE id = ?", upgrade))
                and row["status"] in ("succeeded", "failed")
                and row
            ),
            timeout=120,
            what="the upgrade to be reaped, retried and finished",
        )
    finally:
        second_err = stop(second)
    assert done["status"] == "succeeded", (done["error_message"], done["log"], second_err[-3000:])
    assert done["attempt"] == 2
    runs = sandbox.rows(
        "SELECT status, processed, changed, resumed_from FROM byod_migrationrun "
        "WHERE connection_id = ? AND name = ? ORDER BY id",
        ids["connection"],
        NAME,
    )
    assert [r["status"] for r in runs] == ["interrupted", "succeeded"]
    assert runs[1]["resumed_from"] == saved_at_kill
    assert runs[1]["processed"] == DOCUMENTS
    # Once in effect: the deployment read each document once, and changed each once.
    state = runner_state(canary_deployment, NAME)[NAME]
    assert (state["isDone"], state["processed"], state["changed"]) == (True, DOCUMENTS, DOCUMENTS)
    flags = [(d["isArchived"], d["isPinned"]) for d in canary_deployment.documents("conversations")]
    assert flags == [(False, False)] * DOCUMENTS
    connection = sandbox.row(
        "SELECT deployed_version, migrating_version FROM byod_connection WHERE id = ?",
        ids["connection"],
    )
    assert connection == {"deployed_version": 2, "migrating_version": None}
    assert_no_canary(first_err, second_err)
