"""Rows for the tests of moves: a main deployment, a user's own connection, a move written
directly (the services' own tests go through `byod.services.moves.control`)."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from byod import transitions
from byod.models import Connection, Move, MoveDirection
from tests.data.conftest import main_at
from tests.fixtures.connections import make_connection


def main_and_own(user: User, *, version: int = 3) -> tuple[Connection, Connection]:
    """The main deployment's connection and `user`'s own one (no location row: main)."""
    main = main_at("https://main-one.convex.cloud", deployed_version=version)
    own = make_connection(user, name="own-one", deployed_version=version)
    return main, own


def make_move(user: User, direction: str = MoveDirection.IN, **fields: Any) -> Move:
    """A queued move of `user` written directly between their own deployment and the main one."""
    main = Connection.objects.filter(is_main=True).first() or main_at(
        "https://main-one.convex.cloud", deployed_version=3
    )
    own = Connection.objects.filter(user=user, is_main=False).first() or make_connection(
        user, name=f"own-{user.username}", deployed_version=3
    )
    source, destination = {
        MoveDirection.IN: (main, own),
        MoveDirection.BACK: (own, main),
        MoveDirection.DELETE: (own, None),
    }[MoveDirection(direction)]
    values: dict[str, Any] = {"source": source, "destination": destination}
    values.update(fields)
    move = Move.objects.create(user=user, direction=direction, **values)
    transitions.move_queued(move, actor=None)
    return move
