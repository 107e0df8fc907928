"""While a move froze a user's content, the data plane refuses their writes (`moving`) before
sending anything, reads go on, and finding out costs no extra query."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from byod import transitions
from byod.data import store_for
from byod.data.errors import DataError
from byod.errors import MOVING
from byod.models import Connection
from tests.data.conftest import Listener
from tests.moves.helpers import make_move


def test_a_frozen_users_write_is_refused_without_a_call(owner: User, listener: Listener) -> None:
    move = make_move(owner)
    Connection.objects.filter(pk=move.source_id).update(url=listener.url)
    transitions.move_running(move, worker="w1")
    transitions.move_frozen(move)
    with CaptureQueriesContext(db) as queries:
        store = store_for(owner)
    assert len(queries) == 2  # no row: the main one, in the same two queries as ever
    assert store.location.moving
    with pytest.raises(DataError) as caught:
        store.notes.insert({"title": "t", "content": "c", "createdAt": 1.0, "updatedAt": 1.0})
    assert caught.value.category == MOVING
    assert "being moved" in caught.value.user_message
    assert listener.accepted == 0


def test_a_queued_move_refuses_nothing_yet(owner: User) -> None:
    make_move(owner)
    assert not store_for(owner).location.moving


def test_a_finished_move_refuses_nothing(owner: User) -> None:
    move = make_move(owner)
    transitions.move_running(move, worker="w1")
    transitions.move_frozen(move)
    transitions.move_failed(move, category="internal_error", message="x", worker="w1")
    assert not store_for(owner).location.moving


def test_another_users_move_does_not_freeze_the_owner(owner: User, other_user: User) -> None:
    move = make_move(other_user)
    transitions.move_running(move, worker="w1")
    transitions.move_frozen(move)
    assert store_for(other_user).location.moving
    assert not store_for(owner).location.moving
