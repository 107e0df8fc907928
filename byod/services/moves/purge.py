"""The old copy of a finished move, removed once it was kept long enough (the scheduler).

A move in or back keeps the copy it moved from until `purge_after` (`BYOD_MOVE_KEEP_DAYS`): a
way back if something went wrong. Then `purge_due` removes the owner's documents there (children
first) and the destination's id map of the move. It never removes a copy that is the user's
content again (their location is back there), nor one a later move of theirs has taken over.
"""

from __future__ import annotations

import logging

from django.tasks import task
from django.utils import timezone

from byod import transitions
from byod.clients import Purpose, client_for
from byod.conf import conf
from byod.errors import ByodError
from byod.models import ContentLocation, LeaseKind, Move, MoveStatus
from byod.services.deploys import lease
from byod.services.moves.transfer import Transfer

log = logging.getLogger(__name__)


def purge_due() -> int:
    """Purge every finished move's old copy that is due; how many were purged."""
    purged = 0
    for move in Move.objects.due_for_purge(timezone.now()).select_related(
        "user", "source", "destination"
    ):
        try:
            purged += purge(move)
        except ByodError as error:  # tried again at the next run
            log.warning("move %s: purge failed: %s", move.pk, error.detail)
    return purged


def purge(move: Move) -> int:
    """Remove `move`'s old copy (1) or record why it stays (0 when put off to a later run)."""
    old = move.source
    location = ContentLocation.objects.filter(user_id=move.user_id).first()
    lives_there = location.connection_id == old.pk if location else old.is_main
    if lives_there:
        transitions.move_purged(move, removed=0, note="Not purged: the content lives there again.")
        return 1
    later = Move.objects.filter(user_id=move.user_id, pk__gt=move.pk)
    if later.filter(status=MoveStatus.DONE).exists():
        transitions.move_purged(move, removed=0, note="Not purged here: a later move took over.")
        return 1
    if later.unfinished().exists():
        return 0  # a move under way: after it
    moved_on = bool(move.source_url) and old.url != move.source_url
    if not old.is_usable or moved_on:
        note = "Not purged: that deployment is no longer connected; its copy stays there."
        transitions.move_purged(move, removed=0, note=note)
        return 1
    owner = lease.new_owner()
    if not old.is_main and not lease.take(old.pk, owner, kind=LeaseKind.MOVE):
        return 0  # a deploy holds it: next run
    try:
        removed = _remove_old_copy(move, owner)
    finally:
        if not old.is_main:
            lease.release(old.pk, owner)
    transitions.move_purged(move, removed=removed)
    return 1


def _remove_old_copy(move: Move, owner: str) -> int:
    new = move.destination
    source = client_for(move.source, purpose=Purpose.DATA_WORKER)
    destination = (
        client_for(new, purpose=Purpose.DATA_WORKER) if new is not None and new.is_usable else None
    )
    held = None if move.source.is_main else lease.Lease(move.source.pk, owner)
    try:
        transfer = Transfer(
            source=source,
            destination=destination,
            owner=str(move.user.external_id),
            move_id=move.token,
            batch=conf().moves.batch_size,
        )
        removed = 0
        for table in reversed(transfer.tables()):
            while count := transfer.remove_batch(table, "source"):
                removed += count
                if held is not None:
                    held.keep_alive()
        if destination is not None:
            transfer.forget()
        return removed
    finally:
        source.close()
        if destination is not None:
            destination.close()


@task()
def purge_task() -> int:
    """The scheduler's entry: purge what is due."""
    return purge_due()
