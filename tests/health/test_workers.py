"""The sweep across three real worker processes: each connection is probed exactly once, and
the batches are spread over the workers; a second sweep claims nothing twice."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from byod import schedule
from tests.deploy.sandbox import Sandbox
from tests.deploy.test_workers import CONNECT, stop
from tests.fixtures.canary import self_hosted_key
from tests.fixtures.emulator import Emulator, EmulatorDeployment
from tests.fixtures.waiting import wait_for

pytestmark = pytest.mark.slow

COPIES = 24

DEPLOY_TEMPLATE = """
from byod.models import Connection
from byod.services.deploys.run import run_deploy
run_deploy(result_of_connect["deployment"])
c = Connection.objects.get(pk=result_of_connect["connection"])
result = {"version": c.deployed_version, "hash": c.deployed_package_hash}
"""

ADD_COPIES = """
import json, os
from byod.keys import seal_deploy_key
from byod import schedule
from byod.models import Connection
from tests.fixtures.people import make_user
for i, (url, key) in enumerate(json.loads(os.environ["COPIES"])):
    user = make_user(f"copy{i}")
    sealed = seal_deploy_key(key, owner=user.external_id)
    Connection.objects.create(
        user=user, url=url, deployment_name=f"copy{i}", key_ciphertext=sealed.ciphertext,
        key_id=sealed.key_id, status="connected", deployed_version=int(os.environ["VERSION"]),
        deployed_package_hash=os.environ["HASH"],
    )
result = Connection.objects.count()
"""

SWEEP = """
from byod.services.health import sweep
result = sweep()
"""


def test_a_sweep_over_three_workers_probes_each_connection_once(
    tmp_path: Path, convex_emulator: Emulator, canary_deployment: EmulatorDeployment
) -> None:
    sandbox = Sandbox(tmp_path, BYOD_HEALTH_BATCH_SIZE="5", BYOD_HEALTH_CONCURRENCY="4")
    ids = sandbox.python(
        CONNECT, DEP_URL=canary_deployment.url, DEP_KEY=canary_deployment.admin_key
    )
    deployed = sandbox.python(f"result_of_connect = {ids!r}\n" + DEPLOY_TEMPLATE)
    copies = []
    try:
        for _ in range(COPIES):
            name = f"copy-{secrets.token_hex(4)}"
            copy = convex_emulator.create_deployment(
                name, admin_key=self_hosted_key(name), copy_of=canary_deployment.name
            )
            copies.append(copy)
        total = sandbox.python(
            ADD_COPIES,
            COPIES=json.dumps([[c.url, c.admin_key] for c in copies]),
            VERSION=str(deployed["version"]),
            HASH=deployed["hash"],
        )
        assert total == COPIES + 1
        # Batches of 5; a second sweep finds nothing due: every connection is claimed.
        claims = sandbox.python(SWEEP)
        assert len(claims) == total // 5
        assert sandbox.python(SWEEP) == []
        # Slow probes (each batch takes seconds), so that the batches spread over the workers
        # whatever the order they start in: with quick probes the first worker to start could
        # finish them all before the others poll.
        for copy in copies:
            copy.set_fault("*", latency_ms=300)
        workers = [
            sandbox.popen("db_worker", "--interval", "0.1", "--no-startup-delay") for _ in range(3)
        ]
        try:
            wait_for(
                lambda: (
                    sandbox.row(
                        "SELECT COUNT(*) AS n FROM byod_connection WHERE last_check_at IS NOT NULL"
                    )["n"]
                    == total
                ),
                timeout=120,
                what="every connection to be checked",
            )
            wait_for(
                lambda: (
                    sandbox.row(
                        "SELECT COUNT(*) AS n FROM django_tasks_database_dbtaskresult "
                        "WHERE status != 'SUCCESSFUL'"
                    )["n"]
                    == 0
                ),
                timeout=60,
                what="every batch task to finish",
            )
        finally:
            errors = [stop(w) for w in workers]
        rows = sandbox.rows(
            "SELECT health, consecutive_successes, check_claim FROM byod_connection"
        )
        assert {(r["health"], r["consecutive_successes"], r["check_claim"]) for r in rows} == {
            ("healthy", 1, "")
        }, errors  # one probe each: a second would have counted two successes
        ran_on = sandbox.rows(
            "SELECT DISTINCT worker_ids FROM django_tasks_database_dbtaskresult "
            "WHERE task_path LIKE '%check_batch_task'"
        )
        assert len(ran_on) >= 2, "the batches ran on one worker only"
        events = sandbox.row("SELECT COUNT(*) AS n FROM byod_event WHERE kind = 'health.healthy'")
        assert events["n"] == total
    finally:
        for copy in copies:
            convex_emulator.delete_deployment(copy.name)


def scheduled() -> dict[str, str]:
    """byod.schedule's entries: their names and their tasks' function names."""
    return {name: task.func.__name__ for name, (task, _) in schedule.entries().items()}


def test_two_schedulers_enqueue_each_due_run_once(tmp_path: Path) -> None:
    entries = len(scheduled())
    assert entries >= 5  # the sweep, the outbox, the reaper, moves' and downloads' purges
    sandbox = Sandbox(tmp_path)
    schedulers = [sandbox.popen("run_scheduler", "--interval", "1") for _ in range(2)]
    try:
        wait_for(
            lambda: (
                sandbox.row(
                    "SELECT COUNT(*) AS n FROM django_periodic_tasks_scheduledtask "
                    "WHERE name LIKE 'byod.%' AND next_run_at IS NOT NULL"
                )["n"]
                == entries
            ),
            timeout=60,
            what="the schedulers to record every entry",
        )
        # Make every entry due now; both schedulers look every second.
        sandbox.python(
            "from django.utils import timezone\n"
            "from django_periodic_tasks.models import ScheduledTask\n"
            "result = ScheduledTask.objects.filter(name__startswith='byod.')"
            ".update(next_run_at=timezone.now())"
        )

        def enqueued() -> list[dict[str, object]]:
            rows = sandbox.rows(
                "SELECT task_path, COUNT(*) AS n FROM django_tasks_database_dbtaskresult "
                "GROUP BY task_path ORDER BY task_path"
            )
            return rows if len(rows) == entries else []

        wait_for(enqueued, timeout=60, what="the due entries to be enqueued")
        wait_for(
            lambda: (
                sandbox.row(
                    "SELECT COUNT(*) AS n FROM django_periodic_tasks_scheduledtask "
                    "WHERE name LIKE 'byod.%' AND total_run_count >= 1"
                )["n"]
                == entries
            ),
            timeout=60,
            what="the schedulers to move the entries on",
        )
    finally:
        errors = [stop(s) for s in schedulers]
    # Each run the schedulers recorded was enqueued once, not once per scheduler. (A slow run
    # may cross a minute boundary, when every entry is due again: count runs, not minutes.)
    runs = {
        r["task_path"].rsplit(".", 1)[1]: r["total_run_count"]
        for r in sandbox.rows(
            "SELECT task_path, total_run_count FROM django_periodic_tasks_scheduledtask "
            "WHERE name LIKE 'byod.%'"
        )
    }
    enqueued_runs = {r["task_path"].rsplit(".", 1)[1]: r["n"] for r in enqueued()}
    assert sorted(enqueued_runs) == sorted(scheduled().values()), errors
    assert enqueued_runs == runs, errors
