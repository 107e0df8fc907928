"""Where a user's content lives: never guessed, and why a location cannot be used now."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from byod.data import store_for
from byod.data.errors import DataError
from byod.errors import NOT_CONNECTED, UNAVAILABLE_NOW, UPDATE_NEEDED
from byod.models import ContentLocation, Health, LocationKind
from byod.services import connections
from tests.data.conftest import content_in, main_at
from tests.fixtures.connections import make_connection


def test_without_a_main_deployment_a_user_without_their_own_is_not_connected(
    owner: User,
) -> None:
    with pytest.raises(DataError) as caught:
        store_for(owner)
    assert caught.value.category == NOT_CONNECTED
    assert "Connect your own Convex deployment" in caught.value.user_message


def test_a_user_without_a_row_is_in_the_main_deployment_in_two_queries(owner: User) -> None:
    main = main_at("https://main-one.convex.cloud")
    with CaptureQueriesContext(db) as queries:
        store = store_for(owner)
    assert len(queries) == 2
    assert store.location.kind == "main" and store.location.connection.pk == main.pk


def test_a_user_with_their_own_is_there_in_one_query(owner: User) -> None:
    main_at("https://main-one.convex.cloud")
    own = content_in(owner, "https://own-one.convex.cloud")
    with CaptureQueriesContext(db) as queries:
        store = store_for(owner)
    assert len(queries) == 1
    assert store.location.kind == "own" and store.location.connection.pk == own.pk


def test_connecting_and_disconnecting_move_the_location(owner: User, settings: Any) -> None:
    settings.BYOD_MOVES_ENABLED = False  # on, the move in flips it: tests/moves
    main_at("https://main-one.convex.cloud")
    own = make_connection(owner, name="own-two", deployed_version=3)
    from byod import transitions

    transitions.connection_created(own, actor=owner)
    assert ContentLocation.objects.get(user=owner).kind == LocationKind.OWN
    assert store_for(owner).location.kind == "own"
    connections.disconnect(own, actor=owner)
    assert not ContentLocation.objects.filter(user=owner).exists()
    assert store_for(owner).location.kind == "main"


def test_the_main_deployments_own_user_has_no_location(owner: User) -> None:
    main = main_at("https://main-one.convex.cloud")
    from byod import transitions

    transitions.connection_created(main, actor=None)
    assert not ContentLocation.objects.filter(user=main.user).exists()


def test_a_user_on_a_version_without_data_functions_is_told_to_update(owner: User) -> None:
    content_in(owner, "https://own-three.convex.cloud", deployed_version=2)
    store = store_for(owner)
    with pytest.raises(DataError) as caught:
        store.notes.get("abc")
    assert caught.value.category == UPDATE_NEEDED
    assert "settings page" in caught.value.user_message


def test_mid_migration_the_older_version_counts(owner: User) -> None:
    content_in(
        owner,
        "https://own-four.convex.cloud",
        deployed_version=2,
        pushed_version=3,
        migrating_version=3,
    )
    with pytest.raises(DataError) as caught:
        store_for(owner).check()
    assert caught.value.category == UPDATE_NEEDED


def test_an_unhealthy_deployment_is_unavailable_with_the_health_words(owner: User) -> None:
    content_in(
        owner,
        "https://own-five.convex.cloud",
        health=Health.UNHEALTHY,
        health_reason="paused",
        health_message="Your deployment is paused.",
    )
    with pytest.raises(DataError) as caught:
        store_for(owner).notes.page("by_user")
    assert caught.value.category == UNAVAILABLE_NOW
    assert "Your deployment is paused." in caught.value.user_message


def test_an_own_deployment_that_is_down_never_falls_back_to_the_main_one(owner: User) -> None:
    main_at("https://main-one.convex.cloud")
    content_in(
        owner, "https://own-six.convex.cloud", health=Health.UNHEALTHY, health_reason="unreachable"
    )
    store = store_for(owner)
    assert store.location.kind == "own"
    with pytest.raises(DataError) as caught:
        store.conversations.get("abc")
    assert caught.value.category == UNAVAILABLE_NOW


def test_a_user_can_be_deleted_but_not_the_connection_under_their_content(owner: User) -> None:
    from django.db.models import RestrictedError

    own = content_in(owner, "https://own-eight.convex.cloud")
    with pytest.raises(RestrictedError):
        own.delete()
    owner.delete()
    assert not ContentLocation.objects.exists()


def test_a_way_back_under_way_counts_the_older_version(owner: User) -> None:
    content_in(owner, "https://own-nine.convex.cloud", deployed_version=3, pushed_version=2)
    with pytest.raises(DataError) as caught:
        store_for(owner).check()
    assert caught.value.category == UPDATE_NEEDED
