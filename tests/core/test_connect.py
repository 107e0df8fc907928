"""connect / update_credentials / disconnect against emulated deployments."""

from __future__ import annotations

import secrets

import httpx
import pytest

from byod import package
from byod.errors import ConvexError, ForeignTablesError
from byod.keys import open_deploy_key as get_deploy_key
from byod.models import Connection, Deployment, Event
from byod.services import connections
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = [
    pytest.mark.usefixtures("allow_emulator_hosts"),
]


def kinds(connection: Connection) -> list[str]:
    return list(connection.events.order_by("id").values_list("kind", flat=True))


def test_it_stores_the_key_encrypted_and_queues_a_deploy(owner, canary_deployment) -> None:
    connection = connections.connect(
        owner, canary_deployment.url, canary_deployment.admin_key, actor=owner
    )
    connection.refresh_from_db()
    assert connection.status == "deploying"
    assert connection.deployment_name == canary_deployment.name
    assert_no_canary(connection.key_ciphertext)
    assert get_deploy_key(connection) == canary_deployment.admin_key
    deployment = connection.deployments.get()
    assert (deployment.status, deployment.trigger, deployment.requested_by) == (
        "queued",
        "user",
        owner,
    )
    assert deployment.to_version == package.current_version()
    assert kinds(connection) == [
        "connection.created",
        "content.location_changed",  # their content is written there from now on
        "deploy.queued",
    ]
    assert set(Event.objects.values_list("actor", flat=True)) == {owner.pk}


def test_it_stores_nothing_when_the_deployment_refuses_the_key(owner, convex_deployment) -> None:
    wrong = f"{convex_deployment.name}|{secrets.token_hex(24)}"
    with pytest.raises(ConvexError) as caught:
        connections.connect(owner, convex_deployment.url, wrong, actor=owner)
    assert caught.value.category == "bad_credentials"
    assert not Connection.objects.exists()
    assert not Deployment.objects.exists()


def test_it_asks_before_deploying_over_another_project(owner, convex_deployment) -> None:
    from tests.emulator.convex_cli import push, push_request

    with httpx.Client(timeout=60) as client:
        push(client, convex_deployment.url, convex_deployment.admin_key, push_request())
    with pytest.raises(ForeignTablesError, match="notes, tags") as caught:
        connections.connect(owner, convex_deployment.url, convex_deployment.admin_key, actor=owner)
    assert caught.value.tables == ["notes", "tags"]
    assert not Connection.objects.exists()
    connection = connections.connect(
        owner,
        convex_deployment.url,
        convex_deployment.admin_key,
        actor=owner,
        confirm_foreign=True,
    )
    assert connection.status == "deploying"


def test_it_replaces_credentials_when_the_user_connects_again(
    owner, convex_emulator, convex_deployment: EmulatorDeployment
) -> None:
    first = connections.connect(
        owner, convex_deployment.url, convex_deployment.admin_key, actor=owner
    )
    other = convex_emulator.create_deployment()
    try:
        again = connections.connect(owner, other.url, other.admin_key, actor=owner)
    finally:
        convex_emulator.delete_deployment(other.name)
    assert again.pk == first.pk
    again.refresh_from_db()
    assert (again.url, again.deployment_name) == (other.url, other.name)
    assert get_deploy_key(again) == other.admin_key
    assert "connection.credentials_changed" in kinds(again)
    # The queued deploy to the first deployment is reused, not doubled.
    assert again.deployments.filter(status__in=["queued", "running"]).count() == 1


def test_it_disconnects_and_reconnects(owner, convex_deployment) -> None:
    connection = connections.connect(
        owner, convex_deployment.url, convex_deployment.admin_key, actor=owner
    )
    connection = connections.disconnect(connection, actor=owner)
    assert (connection.status, connection.has_key) == ("disconnected", False)
    assert connection.deployments.get().status == "cancelled"
    assert Connection.objects.get(pk=connection.pk).key_ciphertext == ""

    back = connections.connect(
        owner, convex_deployment.url, convex_deployment.admin_key, actor=owner
    )
    assert back.pk == connection.pk
    back.refresh_from_db()
    assert back.status == "deploying"
    assert get_deploy_key(back) == convex_deployment.admin_key
    assert kinds(back)[-3:] == [
        "connection.credentials_changed",
        "content.location_changed",
        "deploy.queued",
    ]


def test_it_asks_before_deploying_over_documents_that_have_no_schema(
    owner, convex_deployment: EmulatorDeployment
) -> None:
    # Another project's data, imported without a schema: nothing in get_schema shows it.
    convex_deployment.insert("users", {"name": "Ada"})
    convex_deployment.insert("orders", {"total": 12.5})
    check = connections.check_credentials(convex_deployment.url, convex_deployment.admin_key)
    assert check.ok
    assert check.foreign_tables == ["orders", "users"]
    with pytest.raises(ForeignTablesError, match="orders, users"):
        connections.connect(owner, convex_deployment.url, convex_deployment.admin_key, actor=owner)
    assert not Connection.objects.exists()


def test_it_does_not_count_empty_tables_of_a_deployment_without_schema(
    convex_deployment: EmulatorDeployment,
) -> None:
    check = connections.check_credentials(convex_deployment.url, convex_deployment.admin_key)
    assert (check.ok, check.foreign_tables) == (True, [])
