"""Asking for a move of a user's content, and giving one up: what pages, the admin and
`byod_move` call.

A move is created queued (at most one unfinished per user: a constraint) and its task is
enqueued once the transaction commits. Which deployments it reads and writes follows from the
direction and where the user's content is now (`ContentLocation`):

- in: from the main deployment to the user's own; their content must be in the main one;
- back: from their own to the main one; their content must be in their own;
- delete: our documents in their own deployment, removed; if their content lived there (a
  disconnect that deletes it), it is in the main deployment afterwards, empty.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from byod import transitions
from byod.clients import Purpose, client_for
from byod.conf import conf
from byod.data.locations import data_version
from byod.errors import NOT_CONNECTED, UPDATE_NEEDED, ByodError, NotAllowed
from byod.models import (
    Connection,
    ContentLocation,
    LocationKind,
    Move,
    MoveDirection,
)
from byod.package.version import MOVE_FUNCTIONS_SINCE
from byod.services.moves.run import enqueue_move
from byod.services.moves.transfer import Transfer

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)


def request_move(
    user: User,
    direction: str,
    *,
    actor: User | None,
    disconnect_after: bool = False,
    **switch: str,
) -> Move:
    """Queue a move of `user`'s content in `direction` ("in", "back", "delete");
    `disconnect_after`: their deploy key is erased once it is done (a disconnect); `switch`:
    the `switch_*` fields of a move back on the way to another deployment. Raises
    NotAllowed when one is already under way or the content is not where the direction
    starts, ByodError(not_connected) without the deployments it needs."""
    direction = MoveDirection(direction)
    source, destination = _ends(user, direction)
    for connection in (source, destination):
        if connection is not None:
            can_move(connection)
    with transaction.atomic():
        try:
            with transaction.atomic():
                move = Move.objects.create(
                    user=user,
                    direction=direction,
                    source=source,
                    destination=destination,
                    requested_by=actor,
                    disconnect_after=disconnect_after,
                    source_url=source.url,
                    **switch,
                )
        except IntegrityError:
            raise NotAllowed(
                f"user {user.pk}: a move is already under way",
                user_message="A move of your content is already under way.",
            ) from None
        transitions.move_queued(move, actor=actor)
        move_id = move.pk
        transaction.on_commit(lambda: enqueue_move(move_id, for_person=actor is not None))
    return move


def preview(user: User, direction: str) -> dict[str, int]:
    """What a move in `direction` would move (or delete) now: the user's documents per table
    where it starts. Writes nothing; raises like `request_move`."""
    source, _ = _ends(user, MoveDirection(direction))
    client = client_for(source, purpose=Purpose.DATA_WORKER)
    try:
        transfer = Transfer(
            source=client,
            destination=None,
            owner=str(user.external_id),
            move_id="preview",
            batch=conf().moves.batch_size,
        )
        return transfer.counts(transfer.tables())
    finally:
        client.close()


def cancel_move(move: Move, *, actor: User | None) -> None:
    """Give the move up (before its location flips: the content stays where it was). Its
    worker, if one runs it, finds out at its next write and stops."""
    transitions.move_cancelled(move, actor=actor)


def after_first_deploy(connection: Connection) -> Move | None:
    """With moves on, a user whose content is in the main deployment gets it moved into the
    deployment they just connected (its first deploy succeeded). None: nothing to start."""
    if not conf().moves.enabled or connection.is_main:
        return None
    if ContentLocation.objects.filter(user_id=connection.user_id).exists():
        return None  # their content is somewhere else than the main deployment already
    if Move.objects.unfinished().filter(user_id=connection.user_id).exists():
        return None
    try:
        return request_move(connection.user, MoveDirection.IN, actor=None)
    except ByodError as error:
        log.info("no move in for connection %s: %s", connection.pk, error.detail)
        return None


def can_move(connection: Connection) -> None:
    """ByodError(update_needed) unless the deployment runs the package's move functions."""
    found = data_version(connection)
    if found is None or found < MOVE_FUNCTIONS_SINCE:
        where = "The main deployment" if connection.is_main else "Your deployment"
        raise ByodError(
            UPDATE_NEEDED,
            f"connection {connection.pk}: version {found}, moves need {MOVE_FUNCTIONS_SINCE}",
            user_message=f"{where} runs a version of our package that cannot move content "
            "yet. Update it first (the settings page, or a rollout), then move.",
        )


def _ends(user: User, direction: MoveDirection) -> tuple[Connection, Connection | None]:
    main = Connection.objects.filter(is_main=True).first()
    own = Connection.objects.usable().filter(user_id=user.pk, is_main=False).first()
    if own is None:
        raise ByodError(NOT_CONNECTED, f"user {user.pk}: no usable own connection")
    location = ContentLocation.objects.filter(user_id=user.pk).first()
    in_own = location is not None and location.kind == LocationKind.OWN
    if direction == MoveDirection.DELETE:
        return own, None
    if main is None:
        raise ByodError(NOT_CONNECTED, "no main deployment registered")
    if direction == MoveDirection.IN:
        if in_own:
            raise NotAllowed(
                f"user {user.pk}: content already in their own deployment",
                user_message="Your content is in your deployment already.",
            )
        return main, own
    if not in_own or location is None or location.connection_id != own.pk:
        raise NotAllowed(
            f"user {user.pk}: content not in their own deployment",
            user_message="Your content is in the main deployment already.",
        )
    return own, main
