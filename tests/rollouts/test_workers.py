"""Rollouts on real task workers: three `db_worker` processes share one rollout, the in-flight
limit holds across them, and a worker killed mid-rollout loses nothing."""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.sandbox import Sandbox
from tests.deploy.test_workers import stop
from tests.fixtures.canary import assert_no_canary, self_hosted_key
from tests.fixtures.emulator import Emulator, EmulatorDeployment
from tests.fixtures.waiting import wait_for
from tests.rollouts.sandboxes import sandbox as make_sandbox

pytestmark = pytest.mark.slow

WORKER = ("db_worker", "--interval", "0.05", "--no-startup-delay")

FLEET = """
import json, os
from byod import transitions
from byod.services.connections import connect
from tests.fixtures.people import make_user
for i, (url, key) in enumerate(json.loads(os.environ["FLEET"])):
    user = make_user(f"user{i:03d}")
    connection = connect(user, url, key, actor=user)
    transitions.mark_deploy_cancelled(connection.deployments.get(), reason="test fleet")
result = None
"""


@pytest.fixture
def deployments(
    convex_emulator: Emulator, allow_emulator_hosts: None
) -> Iterator[list[EmulatorDeployment]]:
    made: list[EmulatorDeployment] = []
    for _ in range(12):
        name = f"rw-{secrets.token_hex(4)}"
        made.append(
            convex_emulator.create_deployment(name, admin_key=self_hosted_key(name), backfill_ms=0)
        )
    yield made
    for dep in made:
        convex_emulator.delete_deployment(dep.name)


class InFlight:
    """Samples the rollout's running deploys from the database file while workers run."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.most = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                row = self.sandbox.row(
                    "SELECT count(*) AS n FROM byod_deployment "
                    "WHERE rollout_id IS NOT NULL AND status = 'running'"
                )
            except Exception:  # noqa: S112 - the file is busy now and then: sample again
                continue
            self.most = max(self.most, row["n"])
            self.samples += 1
            self._stop.wait(0.01)

    def __enter__(self) -> InFlight:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def start_rollout(sandbox: Sandbox, deployments: list[EmulatorDeployment], k: int) -> None:
    sandbox.python(FLEET, FLEET=json.dumps([(d.url, d.admin_key) for d in deployments]))
    started = sandbox.manage(
        "byod_rollout", "start", "--yes", "--canary-count", "2", "--wave-size", "10",
        "--in-flight", str(k), "--workers", "3",
    )  # fmt: skip
    assert "started" in started.stdout, started.stderr


def rollout(sandbox: Sandbox) -> dict[str, Any]:
    row: dict[str, Any] = sandbox.row("SELECT * FROM byod_rollout ORDER BY id DESC")
    return row


def finish(sandbox: Sandbox, workers: list[subprocess.Popen[str]]) -> list[str]:
    try:
        wait_for(
            lambda: rollout(sandbox)["status"] in ("completed", "paused", "aborted"),
            timeout=120,
            what="the rollout to end",
        )
    finally:
        errors = [stop(w) for w in workers]
    return errors


def assert_each_connection_deployed_once(sandbox: Sandbox, version: int) -> None:
    rows = sandbox.rows(
        "SELECT c.id, c.deployed_version, "
        "(SELECT count(*) FROM byod_deployment d WHERE d.connection_id = c.id "
        " AND d.status = 'succeeded') AS succeeded "
        "FROM byod_connection c"
    )
    assert len(rows) == 12
    assert all(r["deployed_version"] == version and r["succeeded"] == 1 for r in rows), rows


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    # A call that changes a deployment holds its lease until the call's deadline: a killed
    # worker's lease lasts that long after its last one (60 s by default).
    settings = {"BYOD_DEPLOY_LEASE_SECONDS": "3", "BYOD_DEPLOY_CALL_SECONDS": "20"}
    with make_sandbox(tmp_path, **settings) as made:
        yield made


def test_three_workers_share_a_rollout_within_its_in_flight_limit(
    sandbox: Sandbox, deployments: list[EmulatorDeployment]
) -> None:
    for dep in deployments:  # deploys wait at the network, so they overlap
        dep.set_fault("deploy2/start_push", latency_ms=1000)
    start_rollout(sandbox, deployments, k=6)
    with InFlight(sandbox) as seen:
        workers = [sandbox.popen(*WORKER) for _ in range(3)]
        errors = finish(sandbox, workers)
    done = rollout(sandbox)
    assert done["status"] == "completed", errors[0][-3000:]
    assert seen.samples > 20
    assert seen.most == 6, f"at most 6 deploys at once across three workers, saw {seen.most}"
    assert_each_connection_deployed_once(sandbox, done["version"])
    # Each worker process ran deploys (two threads each): the work was shared.
    events = sandbox.rows("SELECT data FROM byod_event WHERE kind = 'deploy.running'")
    data = [e["data"] if isinstance(e["data"], dict) else json.loads(e["data"]) for e in events]
    pids = {d["worker"].split(":")[1] for d in data}
    assert pids == {str(w.pid) for w in workers}
    # Never two pushes to one deployment at once: each got exactly one push.
    assert [len(d.pushes()) for d in deployments] == [1] * 12
    assert_no_canary(*errors)


def test_a_worker_killed_mid_rollout_loses_nothing(
    sandbox: Sandbox, deployments: list[EmulatorDeployment]
) -> None:
    for dep in deployments:
        dep.set_fault("deploy2/start_push", latency_ms=1500)
    start_rollout(sandbox, deployments, k=6)
    workers = [sandbox.popen(*WORKER) for _ in range(3)]

    def busy_worker() -> int | None:
        # A worker with a deploy under way (the lease owner names host:pid:random).
        rows = sandbox.rows(
            "SELECT c.lease_owner FROM byod_deployment d JOIN byod_connection c "
            "ON c.id = d.connection_id WHERE d.status = 'running' AND d.wave = 1 "
            "AND c.lease_owner != ''"
        )
        pids = {int(r["lease_owner"].split(":")[1]) for r in rows}
        return next((w.pid for w in workers if w.pid in pids), None)

    victim_pid = wait_for(busy_worker, timeout=60, what="a worker mid-deploy in wave 1")
    victim = next(w for w in workers if w.pid == victim_pid)
    stop(victim, signal.SIGKILL)
    errors = finish(sandbox, [w for w in workers if w is not victim])
    done = rollout(sandbox)
    assert done["status"] == "completed", errors[0][-3000:]
    assert_each_connection_deployed_once(sandbox, done["version"])
    lost = sandbox.rows(
        "SELECT d.id, d.attempt FROM byod_deployment d WHERE d.id IN "
        "(SELECT deployment_id FROM byod_event WHERE kind = 'deploy.retry_scheduled' "
        " AND message LIKE '%worker_lost%')"
    )
    assert lost, "the killed worker's deploys were recorded as lost and retried"
    assert all(r["attempt"] == 2 for r in lost)
    assert_no_canary(*errors)
