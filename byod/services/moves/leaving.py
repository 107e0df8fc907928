"""Disconnecting with a choice about the content (the settings page's disconnect form).

- keep: the key is erased at once; what their deployment holds stays there (as before moves);
- back: a move from their deployment to the main one (verified, then the location flips), and
  only then is the key erased (`Move.disconnect_after`, done by `move_done`);
- delete: our tables' documents of the user removed in their deployment, checked to be zero,
  only after the user typed the deployment's name; then the key is erased.

The key is never erased before the chosen work finished. A move that waits (their deployment
away) says so on the page; the user can give up at any point (`give_up`): the move is cancelled,
the key erased, and the content stays where it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import transaction

from byod import transitions
from byod.conf import conf
from byod.errors import NotAllowed
from byod.models import (
    Connection,
    ConnectionStatus,
    ContentLocation,
    LocationKind,
    Move,
    MoveDirection,
)
from byod.services import connections
from byod.services.moves.control import request_move

if TYPE_CHECKING:
    from accounts.models import User


class Choice(StrEnum):
    KEEP = "keep"
    BACK = "back"
    DELETE = "delete"


@dataclass(frozen=True)
class Options:
    """What the disconnect form offers this user, and why "bring back" is not offered."""

    content_in_own: bool
    moves_on: bool  # off (`BYOD_MOVES_ENABLED`): only "keep" is offered
    back_offered: bool
    back_missing_reason: str
    name_to_type: str


def options(connection: Connection) -> Options:
    location = ContentLocation.objects.filter(user_id=connection.user_id).first()
    in_own = (
        location is not None
        and location.kind == LocationKind.OWN
        and location.connection_id == connection.pk
    )
    has_main = Connection.objects.filter(is_main=True).exists()
    moves_on = conf().moves.enabled
    reason = ""
    if not moves_on:
        reason = "Moving content is not available on this site yet."
    elif not in_own:
        reason = "Your content is read and written in the main deployment already."
    elif not has_main:
        reason = (
            "This site has no main deployment to bring your content back to: keep it in "
            "your deployment or delete it there."
        )
    return Options(
        content_in_own=in_own,
        moves_on=moves_on,
        back_offered=moves_on and in_own and has_main,
        back_missing_reason=reason,
        name_to_type=typed_name_of(connection),
    )


def typed_name_of(connection: Connection) -> str:
    """What the user types to confirm a delete: the deployment's name (else its URL)."""
    return connection.deployment_name or connection.url


def leave(
    connection: Connection, choice: str, *, actor: User | None, typed_name: str = ""
) -> Move | None:
    """Disconnect `connection` with `choice`. Keep: at once (None). Back and delete: the move
    that does the work first (the key is erased when it is done). Raises NotAllowed when the
    choice is not open (a delete without the typed name, back without a main deployment)."""
    choice = Choice(choice)
    if choice == Choice.KEEP:
        give_up(connection, actor=actor)
        return None
    if not conf().moves.enabled:
        raise NotAllowed(
            f"connection {connection.pk}: moves are off",
            user_message="Moving content is not available on this site yet: nothing was done.",
        )
    if choice == Choice.BACK and not options(connection).back_offered:
        raise NotAllowed(
            f"connection {connection.pk}: bring back not offered",
            user_message=options(connection).back_missing_reason,
        )
    if choice == Choice.DELETE and typed_name.strip() != typed_name_of(connection):
        raise NotAllowed(
            f"connection {connection.pk}: delete not confirmed",
            user_message="Nothing was deleted: type the deployment's name exactly to confirm.",
        )
    direction = MoveDirection.BACK if choice == Choice.BACK else MoveDirection.DELETE
    return request_move(connection.user, direction, actor=actor, disconnect_after=True)


def give_up(connection: Connection, *, actor: User | None) -> None:
    """Keep: cancel the move under way (its content stays where it was), erase the key."""
    with transaction.atomic():
        for move in Move.objects.unfinished().filter(user_id=connection.user_id):
            transitions.move_cancelled(
                move,
                actor=actor,
                reason="Given up: your content stays where it was, and the key is erased.",
            )
        fresh = Connection.objects.get(pk=connection.pk)
        if fresh.status != ConnectionStatus.DISCONNECTED:
            connections.disconnect(fresh, actor=actor)


def cancel(user: User, *, actor: User | None) -> bool:
    """Give up the user's move under way without disconnecting ("Give up (keep it where it
    is)" on a move that is not a disconnect's). False: there was none."""
    found = False
    with transaction.atomic():
        for move in Move.objects.unfinished().filter(user_id=user.pk):
            transitions.move_cancelled(move, actor=actor)
            found = True
    return found
