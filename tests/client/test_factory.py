"""One way to get a client: a purpose's budget from settings, the key only inside the unit of
work, pools shared by the process and bounded, every call counted."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY

from byod.client import Budget, Purpose
from byod.client.transport import DESTINATIONS, Destinations
from byod.clients import client_for, client_for_credentials
from byod.errors import ConvexError, InputError, NoDeployKey
from byod.inputs import parse_url
from byod.models import Connection
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = pytest.mark.django_db


def calls(operation: str, purpose: str, category: str) -> float:
    labels = {"operation": operation, "purpose": purpose, "category": category}
    return REGISTRY.get_sample_value("byod_convex_calls_total", labels) or 0.0


def test_each_purpose_reads_its_budget_from_settings(settings: Any) -> None:
    settings.BYOD_COUNT_CONNECT_SECONDS = 1.5
    settings.BYOD_COUNT_READ_SECONDS = 2.5
    settings.BYOD_COUNT_CALL_SECONDS = 3.5
    settings.BYOD_COUNT_TOTAL_SECONDS = 0
    budget = Budget.of(Purpose.COUNT)
    assert (budget.connect, budget.read, budget.call, budget.total) == (1.5, 2.5, 3.5, None)
    for purpose in Purpose:
        made = Budget.of(purpose)
        assert made.purpose == purpose.value and made.call > 0 and made.answer_bytes > 0
    assert Budget.of(Purpose.CHECK).total is not None  # a web request never waits unbounded


def test_the_key_lives_only_inside_the_unit_of_work(
    deployed_connection: Connection, canary_deployment: EmulatorDeployment
) -> None:
    with client_for(deployed_connection, purpose=Purpose.HEALTH) as client:
        assert client.check_admin_key()["success"] is True
        assert client.budget.purpose == "health"
        destination_state = repr(vars(DESTINATIONS)) + repr(
            [vars(d) for d in DESTINATIONS._items.values()]
        )
    assert_no_canary(destination_state, repr(client))
    with pytest.raises(RuntimeError, match="unit of work has ended"):
        client.check_admin_key()
    assert client._admin_key == ""


def test_a_disconnected_connection_gives_no_client(deployed_connection: Connection) -> None:
    Connection.objects.filter(pk=deployed_connection.pk).update(key_ciphertext="", key_id="")
    deployed_connection.refresh_from_db()
    with pytest.raises(NoDeployKey):
        client_for(deployed_connection, purpose=Purpose.DEPLOY)


def test_a_url_no_longer_allowed_gives_no_client(
    deployed_connection: Connection, settings: Any
) -> None:
    settings.BYOD_ALLOWED_HOSTS = []
    with pytest.raises(InputError):
        client_for(deployed_connection, purpose=Purpose.COUNT)


def test_every_call_is_counted_by_operation_purpose_and_outcome(
    canary_deployment: EmulatorDeployment,
) -> None:
    ok_before = calls("check_admin_key", "check", "ok")
    refused_before = calls("check_admin_key", "check", "bad_credentials")
    url, key = canary_deployment.url, canary_deployment.admin_key
    with client_for_credentials(url, key, purpose=Purpose.CHECK) as client:
        client.check_admin_key()
        canary_deployment.set_fault("check_admin_key", revoked_key=True)
        with pytest.raises(ConvexError):
            client.check_admin_key()
    assert calls("check_admin_key", "check", "ok") == ok_before + 1
    assert calls("check_admin_key", "check", "bad_credentials") == refused_before + 1


def test_one_pool_per_destination_shared_by_clients(canary_deployment: EmulatorDeployment) -> None:
    url, key = canary_deployment.url, canary_deployment.admin_key
    for _ in range(3):
        with client_for_credentials(url, key, purpose=Purpose.CHECK) as client:
            client.check_admin_key()
    assert len(DESTINATIONS) == 1


def test_the_least_recently_used_destinations_are_closed_beyond_the_limit(settings: Any) -> None:
    settings.BYOD_CLIENT_DESTINATIONS = 2
    cache = Destinations()
    closed: list[str] = []
    urls = [parse_url(f"https://happy-otter-{n}.convex.cloud") for n in range(4)]

    def watch(destination: Any) -> None:
        destination.pool.close = lambda: closed.append(destination.host)

    with cache.use(urls[0]) as busy:
        watch(busy)
        for url in urls[1:]:
            with cache.use(url) as destination:
                watch(destination)
        assert len(cache) == 2
        assert "happy-otter-0.convex.cloud" not in closed  # still in use: closed after its call
    assert closed == [
        "happy-otter-1.convex.cloud",
        "happy-otter-0.convex.cloud",
    ]
