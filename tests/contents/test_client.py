"""The client counts a table's documents the way the Convex CLI and dashboard do."""

from __future__ import annotations

import pytest

from byod.client import ConvexClient
from byod.errors import BAD_CREDENTIALS, PAUSED, ConvexError
from byod.inputs import parse_url
from byod.models import Connection
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = pytest.mark.django_db


def client_for(deployment: EmulatorDeployment, key: str | None = None) -> ConvexClient:
    return ConvexClient(parse_url(deployment.url), key or deployment.admin_key)


def test_it_counts_the_documents_of_a_table(
    deployed_connection: Connection, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.insert_many("tags", [{"name": f"tag {i}"} for i in range(1234)])
    canary_deployment.insert("notes", {"title": "one"})
    with client_for(canary_deployment) as client:
        assert client.table_size("tags") == 1234
        assert client.table_size("notes") == 1
        assert client.table_size("slides") == 0


def test_it_counts_zero_for_a_table_that_does_not_exist(
    canary_deployment: EmulatorDeployment,
) -> None:
    with client_for(canary_deployment) as client:
        assert client.table_size("neverCreated") == 0


def test_a_paused_deployment_is_a_paused_error(
    deployed_connection: Connection, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.set_state("paused")
    with client_for(canary_deployment) as client, pytest.raises(ConvexError) as caught:
        client.table_size("tags")
    assert caught.value.category == PAUSED


def test_a_refused_key_is_a_credentials_error_without_the_key(
    canary_deployment: EmulatorDeployment,
) -> None:
    wrong = canary_deployment.admin_key[:-4] + "0000"
    with client_for(canary_deployment, wrong) as client, pytest.raises(ConvexError) as caught:
        client.table_size("tags")
    assert caught.value.category == BAD_CREDENTIALS
    assert_no_canary(str(caught.value), caught.value.detail, caught.value.user_message)
