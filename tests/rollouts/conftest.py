"""A fleet for rollout tests: users connected to fresh emulated deployments, nothing deployed
(`fleet`), or each on an older version (`fleet_on`).

Connecting queues a deploy; the fleet cancels it, so that the rollout is what deploys.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from byod import transitions
from byod.models import Connection, Rollout
from byod.services.connections import connect
from byod.services.deploys import lease
from byod.services.deploys.run import carry_on, request_deploy, run_deploy
from byod.services.rollouts import driver as rollout_driver
from tests.fixtures.canary import self_hosted_key
from tests.fixtures.emulator import Emulator, EmulatorDeployment
from tests.fixtures.people import make_user


@dataclass
class Member:
    connection: Connection
    deployment: EmulatorDeployment


Fleet = Callable[[int], list[Member]]


@pytest.fixture
def fleet(convex_emulator: Emulator, allow_emulator_hosts: None, db: None) -> Iterator[Fleet]:
    """`fleet(n)`: n users, each connected to a fresh emulated deployment (pk order)."""
    made: list[EmulatorDeployment] = []

    def make(n: int) -> list[Member]:
        members = []
        for _ in range(n):
            name = f"ro-{secrets.token_hex(4)}"
            dep = convex_emulator.create_deployment(
                name, admin_key=self_hosted_key(name), backfill_ms=0
            )
            made.append(dep)
            user = make_user(f"user{len(made):03d}")
            connection = connect(user, dep.url, dep.admin_key, actor=user)
            transitions.mark_deploy_cancelled(connection.deployments.get(), reason="test fleet")
            connection.refresh_from_db()
            members.append(Member(connection, dep))
        return members

    yield make
    for dep in made:
        convex_emulator.delete_deployment(dep.name)


FleetOn = Callable[[int, int], list[Member]]


@pytest.fixture
def fleet_on(fleet: Fleet) -> FleetOn:
    """`fleet_on(n, version)`: n users whose deployments run `version` (an operator deployed
    it, as before an upgrade), in pk order."""

    def make(n: int, version: int) -> list[Member]:
        members = fleet(n)
        for member in members:
            deployment = request_deploy(member.connection, trigger="admin", version=version)
            run_deploy(deployment.pk)
            member.connection.refresh_from_db()
            assert member.connection.deployed_version == version, (
                member.connection.last_error_message
            )
        return members

    return make


def step(rollout: Rollout, want: int = 100) -> list[int]:
    """One driver's round, in this thread: claim what the rollout allows and run it to its end
    (each attempt once). Returns the ids of the deploys it ran."""
    owner = lease.new_owner()
    _, started = rollout_driver.claim(rollout.pk, want, owner)
    for deployment in started:
        carry_on(deployment, owner)
    rollout.refresh_from_db()
    return [d.pk for d in started]


def run_to_the_end(rollout: Rollout, want: int = 100, rounds: int = 100) -> None:
    """Driver rounds until a round starts nothing (completed, paused, or only retries waiting)."""
    for _ in range(rounds):
        if not step(rollout, want):
            step(rollout, want)  # the round that notices completion
            return
    raise AssertionError("the rollout did not settle")
