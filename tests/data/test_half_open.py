"""The main deployment's breaker, opened by failing requests, is half-open after a cool-down:
one request tries (in all processes), its success closes the breaker at once, its failure opens
it for another cool-down. A user's own deployment keeps waiting for the sweep's probes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from byod.data import store_for
from byod.data.errors import DataError
from byod.errors import PAUSED, UNAVAILABLE_NOW, UNREACHABLE
from byod.models import Connection, Event, EventKind, Health, HealthSource
from byod.package.version import CURRENT_VERSION
from byod.transitions import breaker
from tests.data.conftest import Listener, content_in, main_at
from tests.fixtures.emulator import Emulator, EmulatorDeployment
from tests.moves.conftest import deployment_with_package

pytestmark = [pytest.mark.django_db]
COOL_DOWN = 30.0


@pytest.fixture
def main(
    convex_emulator: Emulator, allow_emulator_hosts: None, settings: Any
) -> Iterator[tuple[EmulatorDeployment, Connection]]:
    settings.BYOD_DATA_HEALTH_GAP_SECONDS = 0
    settings.BYOD_DATA_BREAKER_COOLDOWN_SECONDS = COOL_DOWN
    deployment = deployment_with_package(convex_emulator)
    connection = main_at(deployment.url, key=deployment.admin_key, deployed_version=CURRENT_VERSION)
    try:
        yield deployment, connection
    finally:
        convex_emulator.delete_deployment(deployment.name)


def read(user: User) -> str:
    """One read of `user`'s content: "" when it worked, else the failure's category."""
    try:
        store_for(user).notes.page("by_user")
    except DataError as error:
        return error.category
    return ""


def opened(user: User, deployment: EmulatorDeployment, connection: Connection) -> None:
    """Requests open the main deployment's breaker (a paused deployment: at once)."""
    deployment.set_state("paused")
    assert read(user) == PAUSED
    connection.refresh_from_db()
    assert (connection.health, connection.health_source) == (Health.UNHEALTHY, HealthSource.REQUEST)
    assert connection.breaker_opened_at is not None


def test_after_the_cool_down_one_request_tries_and_its_success_closes_the_breaker(
    owner: User, main: tuple[EmulatorDeployment, Connection], time_machine: Any
) -> None:
    deployment, connection = main
    time_machine.move_to(timezone.now(), tick=False)
    opened(owner, deployment, connection)
    deployment.set_state("running")  # a brief pause, over
    deployment.reset_calls()
    time_machine.shift(timedelta(seconds=COOL_DOWN - 1))
    assert read(owner) == UNAVAILABLE_NOW  # still cooling down: not called
    assert deployment.calls()["requests"] == 0
    time_machine.shift(timedelta(seconds=1))
    assert read(owner) == ""  # the trial
    connection.refresh_from_db()
    assert (connection.health, connection.breaker_opened_at) == (Health.HEALTHY, None)
    recovered = Event.objects.get(connection=connection, kind=EventKind.HEALTH_RECOVERED)
    assert recovered.message.startswith("A request for content succeeded")
    assert read(owner) == "" and deployment.calls()["requests"] == 2


def test_a_failed_trial_opens_the_breaker_for_another_cool_down(
    owner: User, main: tuple[EmulatorDeployment, Connection], time_machine: Any
) -> None:
    deployment, connection = main
    time_machine.move_to(timezone.now(), tick=False)
    opened(owner, deployment, connection)
    time_machine.shift(timedelta(seconds=COOL_DOWN))
    deployment.reset_calls()
    assert read(owner) == PAUSED  # the trial called and failed: its own words
    assert deployment.calls()["requests"] == 1
    connection.refresh_from_db()
    assert connection.health == Health.UNHEALTHY
    assert connection.breaker_opened_at == timezone.now()
    time_machine.shift(timedelta(seconds=COOL_DOWN - 1))
    assert read(owner) == UNAVAILABLE_NOW and deployment.calls()["requests"] == 1
    deployment.set_state("running")
    time_machine.shift(timedelta(seconds=1))
    assert read(owner) == "" and deployment.calls()["requests"] == 2


def test_only_one_request_of_all_tries_at_a_time(
    owner: User, main: tuple[EmulatorDeployment, Connection], time_machine: Any
) -> None:
    deployment, connection = main
    time_machine.move_to(timezone.now(), tick=False)
    opened(owner, deployment, connection)
    time_machine.shift(timedelta(seconds=COOL_DOWN))
    # Two requests (two processes) that both read the row before either tried.
    first, second = (Connection.objects.get(pk=connection.pk) for _ in range(2))
    assert breaker.may_try(first)
    assert not breaker.may_try(second)
    assert not breaker.may_try(Connection.objects.get(pk=connection.pk))


def test_no_request_tries_while_the_sweeps_last_probe_found_it_failing(owner: User) -> None:
    long_ago = timezone.now() - timedelta(hours=1)
    main = main_at(
        "https://main-one.convex.cloud",
        health=Health.UNHEALTHY,
        health_source=HealthSource.CHECK,
        health_reason=UNREACHABLE,
        health_changed_at=long_ago,
        breaker_opened_at=long_ago,
    )
    assert not breaker.may_try(main)
    # One probe passed since (the second is minutes away): a request may try.
    Connection.objects.filter(pk=main.pk).update(consecutive_successes=1)
    main.refresh_from_db()
    assert breaker.may_try(main)


def test_a_users_own_deployment_waits_for_the_sweep(
    owner: User, listener: Listener, settings: Any
) -> None:
    settings.BYOD_DATA_HEALTH_GAP_SECONDS = 0
    long_ago = timezone.now() - timedelta(hours=1)
    content_in(
        owner,
        listener.url,
        health=Health.UNHEALTHY,
        health_source=HealthSource.REQUEST,
        health_reason=UNREACHABLE,
        health_changed_at=long_ago,
    )
    assert read(owner) == UNAVAILABLE_NOW
    assert listener.accepted == 0
