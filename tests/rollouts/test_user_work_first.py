"""A person's work never waits behind a rollout: with the one worker `scripts/run` starts and a
rollout running on it, "Check now" and "Count documents" run before the rollout's driver takes
its next task slot; counted in task slots (the task rows' start times), not seconds."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.sandbox import Sandbox
from tests.deploy.test_workers import CONNECT, stop
from tests.fixtures.canary import self_hosted_key
from tests.fixtures.emulator import Emulator, EmulatorDeployment
from tests.fixtures.waiting import wait_for
from tests.rollouts.test_workers import FLEET, WORKER, rollout

pytestmark = pytest.mark.slow

USER_TASKS = (
    "byod.services.health.check_connections_task",
    "byod.services.contents.count_documents_task",
)
ASK = """
from byod.models import Connection
from byod.services import contents, health
connection = Connection.objects.get(user__username="measured")
health.request_check(connection)
assert contents.request_count(connection)
result = None
"""


@pytest.fixture
def fleet(
    convex_emulator: Emulator, allow_emulator_hosts: None
) -> Iterator[list[EmulatorDeployment]]:
    made = []
    for _ in range(9):
        name = f"uw-{secrets.token_hex(4)}"
        made.append(
            convex_emulator.create_deployment(name, admin_key=self_hosted_key(name), backfill_ms=0)
        )
    yield made
    for dep in made:
        convex_emulator.delete_deployment(dep.name)


def tasks(sandbox: Sandbox) -> list[dict[str, str]]:
    return sandbox.rows(
        "SELECT task_path, status, priority, enqueued_at, started_at, finished_at "
        "FROM django_tasks_database_dbtaskresult ORDER BY started_at"
    )


def test_a_persons_checks_run_before_the_rollout_takes_another_task_slot(
    tmp_path: Path, fleet: list[EmulatorDeployment]
) -> None:
    sandbox = Sandbox(tmp_path)
    measured, rolled = fleet[0], fleet[1:]
    # The measured user is on the current version already: the rollout skips them.
    ids = sandbox.python(
        CONNECT + "from byod.services.deploys.run import run_deploy\n"
        "run_deploy(result['deployment'])\n",
        USER_NAME="measured",
        DEP_URL=measured.url,
        DEP_KEY=measured.admin_key,
    )
    assert ids["deployment"]
    for dep in rolled:  # each deploy waits a second at the network: the rollout takes a while
        dep.set_fault("deploy2/start_push", latency_ms=1000)
    sandbox.python(FLEET, FLEET=json.dumps([(d.url, d.admin_key) for d in rolled]))
    started = sandbox.manage(
        "byod_rollout", "start", "--yes", "--canary-count", "1", "--wave-size", "100",
        "--in-flight", "1", "--drivers", "1",
    )  # fmt: skip
    assert "started" in started.stdout, started.stderr

    worker = sandbox.popen(*WORKER, log=tmp_path / "worker.log")
    try:
        wait_for(
            lambda: (
                sandbox.row(
                    "SELECT count(*) AS n FROM byod_deployment "
                    "WHERE rollout_id IS NOT NULL AND status = 'succeeded'"
                )["n"]
                >= 1
            ),
            timeout=120,
            what="the rollout to be under way",
        )
        sandbox.python(ASK)  # "Check now" and "Count documents"
        wait_for(
            lambda: (
                [t["status"] for t in tasks(sandbox) if t["task_path"] in USER_TASKS]
                == ["SUCCESSFUL"] * 2
            ),
            timeout=120,
            what="the person's check and count",
        )
        wait_for(
            lambda: rollout(sandbox)["status"] == "completed",
            timeout=180,
            what="the rollout to complete",
        )
    finally:
        stop(worker)

    rows = [t for t in tasks(sandbox) if t["started_at"]]
    mine = [t for t in rows if t["task_path"] in USER_TASKS]
    asked_at = min(t["enqueued_at"] for t in mine)
    answered_at = max(t["started_at"] for t in mine)
    # Not one task slot went to anything else between the question and the answer: the
    # driver running then gave way, and its successor was queued behind the person's tasks.
    between = [
        t["task_path"] for t in rows if t not in mine and asked_at < t["started_at"] < answered_at
    ]
    assert between == [], between
    drivers = [t for t in rows if t["task_path"].endswith("drive_task")]
    assert len(drivers) >= 2, drivers
    assert any(t["started_at"] > answered_at for t in drivers)
    assert all(t["priority"] == 50 for t in mine)
    # ... while the rollout was still running: not after it.
    assert max(t["finished_at"] for t in mine) < rollout(sandbox)["finished_at"]
    outcome = sandbox.row(
        "SELECT last_check_at, table_counts_at, count_error FROM byod_connection c "
        "JOIN accounts_user u ON u.id = c.user_id WHERE u.username = 'measured'"
    )
    assert outcome["last_check_at"] and outcome["table_counts_at"], outcome
    assert outcome["count_error"] == ""
    waited = [_seconds(t["started_at"]) - _seconds(t["enqueued_at"]) for t in mine]
    print(f"a person's tasks waited {', '.join(f'{w:.1f}' for w in waited)} s for the worker")


def _seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp).timestamp()
