"""Every status change of a content move, each writing one Event (about the user's own
connection, linked to the move).

queued -> running -> verifying -> done; running | verifying -> waiting (the deployment away:
tried again later) -> running; running | verifying -> queued (the reaper: worker lost, resumed
from the cursors); any unfinished -> failed | cancelled. The worker's writes (progress, phases,
the end) are conditional on the move still being its own (`worker`) and running: a move that was
cancelled or reaped meanwhile refuses them (`MoveStopped`), and the worker stops.

`move_done` flips the user's ContentLocation in the same transaction as the status: the content
is in exactly one place, and the product knows which.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from byod.errors import NotAllowed
from byod.models import (
    Connection,
    ConnectionStatus,
    ContentLocation,
    EventKind,
    LocationKind,
    Move,
    MoveDirection,
    MovePhase,
    MoveStatus,
)
from byod.transitions.base import TransitionError, event
from byod.transitions.connection import mark_disconnected

if TYPE_CHECKING:
    from accounts.models import User

MS = MoveStatus
WORKING = (MS.RUNNING, MS.VERIFYING)
UNFINISHED = (MS.QUEUED, MS.RUNNING, MS.WAITING, MS.VERIFYING)
ERROR_LIMIT = 2000
# New credentials waiting for a move (`Move.switch_*`): erased once it ends, however it ends.
NO_SWITCH: dict[str, Any] = {
    "switch_url": "",
    "switch_deployment_name": "",
    "switch_key_ciphertext": "",
    "switch_key_id": "",
}


class MoveStopped(NotAllowed):
    """A worker's write about a move it no longer runs (cancelled, reaped, ended)."""

    def __init__(self, move: Move, what: str) -> None:
        super().__init__(
            f"move {move.pk}: {what} dropped: {move.worker or 'nobody'} no longer runs it.",
            user_message="That move was stopped or taken over.",
        )


def _record(
    move: Move,
    kind: str,
    message: str,
    *,
    actor: User | None = None,
    data: dict[str, Any] | None = None,
    switching: bool | None = None,
) -> None:
    """One Event about `move`; its data names the direction and whether the move is the first
    step to new credentials (`switching`, from the move unless its caller erased them first),
    so the history words each move after the row is gone or its switch fields were erased."""
    if switching is None:
        switching = bool(move.switch_url)
    data = {**(data or {}), "direction": move.direction}
    if switching:
        data["switch"] = True
    made = event(move.own_connection, kind, message, actor=actor, data=data)
    made.move = move
    made.save()


def _change(
    move: Move, *, allowed_from: tuple[str, ...], to: str, where: Q | None = None, **fields: Any
) -> str:
    """Move `move` to `to` by a conditional UPDATE; the previous status."""
    rows = Move.objects.filter(pk=move.pk).filter(where or Q())
    previous = rows.select_for_update().values_list("status", flat=True).first()
    if previous is None or previous not in allowed_from:
        if previous is not None:
            move.status = previous
        raise TransitionError(move, to, allowed_from)
    values = {"status": to, **fields}
    rows.filter(status=previous).update(**values)
    for name, value in values.items():
        setattr(move, name, value)
    return previous


def _held(move: Move) -> Q:
    return Q(worker=move.worker, status__in=WORKING)


def _fenced(move: Move, what: str, **fields: Any) -> None:
    """A worker's write, conditional on still running the move."""
    if not move.worker or Move.objects.filter(pk=move.pk).filter(_held(move)).update(**fields) != 1:
        raise MoveStopped(move, what)
    for name, value in fields.items():
        setattr(move, name, value)


@transaction.atomic
def move_queued(move: Move, *, actor: User | None) -> None:
    """A move was just created (status queued)."""
    words = {
        MoveDirection.IN: "Moving your content into your deployment.",
        MoveDirection.BACK: "Moving your content back to the main deployment.",
        MoveDirection.DELETE: "Deleting our documents in your deployment.",
    }
    _record(
        move,
        EventKind.MOVE_QUEUED,
        words[MoveDirection(move.direction)],
        actor=actor,
        data={"direction": move.direction},
    )


@transaction.atomic
def move_running(move: Move, *, worker: str) -> None:
    """A worker starts (or resumes) the move; it holds the leases of its connections."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "worker": worker,
        "attempts": move.attempts + 1,
        "next_attempt_at": None,
    }
    if move.started_at is None:
        fields["started_at"] = now
    previous = _change(move, allowed_from=(MS.QUEUED, MS.WAITING), to=MS.RUNNING, **fields)
    said = "Move started." if previous == MS.QUEUED and move.attempts == 1 else "Move resumed."
    _record(move, EventKind.MOVE_RUNNING, said, data={"attempt": move.attempts})


@transaction.atomic
def move_frozen(move: Move) -> None:
    """The user's writes are refused from now on (`moving`); reads go on from the source."""
    if move.frozen_at is not None:
        return
    _fenced(move, "freeze", frozen_at=timezone.now())
    _record(move, EventKind.MOVE_FROZEN, "Changes to your content are paused while it moves.")


def save_progress(move: Move, *, phase: str | None = None, table: str = "") -> None:
    """The worker's progress: per-table state, phase and the table it works on."""
    fields: dict[str, Any] = {"tables": move.tables, "phase_table": table}
    if phase is not None:
        fields["phase"] = phase
    _fenced(move, "progress", **fields)


@transaction.atomic
def move_verifying(move: Move) -> None:
    _change(
        move,
        allowed_from=(MS.RUNNING,),
        to=MS.VERIFYING,
        where=_held(move),
        phase=MovePhase.VERIFYING,
        tables=move.tables,
    )
    _record(move, EventKind.MOVE_VERIFYING, "Every document is copied; comparing both sides.")


@transaction.atomic
def move_waiting(move: Move, *, category: str, message: str, retry_at: datetime) -> None:
    """The deployment is away (or busy): the move waits and is tried again at `retry_at`."""
    _change(
        move,
        allowed_from=WORKING,
        to=MS.WAITING,
        where=Q(worker=move.worker),
        worker="",
        next_attempt_at=retry_at,
        error_category=category,
        error_message=message[:ERROR_LIMIT],
        tables=move.tables,
    )
    _record(
        move,
        EventKind.MOVE_WAITING,
        f"Waiting: {message}",
        data={"category": category, "retry_at": retry_at.isoformat()},
    )


@transaction.atomic
def move_interrupted(move: Move) -> None:
    """Its worker died (lease expired): back to queued, resumed from the cursors (the reaper)."""
    _change(move, allowed_from=WORKING, to=MS.QUEUED, where=Q(worker=move.worker), worker="")
    _record(
        move,
        EventKind.MOVE_INTERRUPTED,
        "The worker running the move stopped; it resumes where it was.",
    )


@transaction.atomic
def move_done(move: Move, *, keep_days: float) -> None:
    """The move ended well. In and back: the location flips to the destination in this
    transaction and the old copy is kept until `purge_after`. Delete: nothing is left there."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "ended_at": now,
        "phase": MovePhase.DONE,
        "tables": move.tables,
        "worker": "",
        "error_category": "",
        "error_message": "",
    }
    if move.direction != MoveDirection.DELETE:
        fields["purge_after"] = now + timedelta(days=keep_days)
        fields["phase"] = MovePhase.KEEPING
    _change(move, allowed_from=WORKING, to=MS.DONE, where=_held(move), **fields)
    if move.direction == MoveDirection.IN:
        assert move.destination is not None
        _content_at(move, LocationKind.OWN)
    elif move.direction == MoveDirection.BACK:
        _content_at(move, LocationKind.MAIN)
    elif ContentLocation.objects.filter(user_id=move.user_id, connection=move.source).exists():
        _content_at(move, LocationKind.MAIN)  # deleted where it lived: main, empty, from now on
    words = {
        MoveDirection.IN: "Your content is in your deployment now; the main copy is kept "
        f"until {fields.get('purge_after', now):%Y-%m-%d}.",
        MoveDirection.BACK: "Your content is in the main deployment again; the copy in your "
        f"deployment is kept until {fields.get('purge_after', now):%Y-%m-%d}.",
        MoveDirection.DELETE: "Our documents in your deployment are deleted (none is left).",
    }
    done, total = move.totals()
    _record(
        move,
        EventKind.MOVE_DONE,
        words[MoveDirection(move.direction)],
        data={"documents": done, "counted": total},
    )
    if move.disconnect_after:  # the chosen work is finished: now the key goes
        _disconnect(move)


def _disconnect(move: Move) -> None:
    own = Connection.objects.select_for_update().get(pk=move.own_connection.pk)
    if own.status != ConnectionStatus.DISCONNECTED:
        mark_disconnected(own, actor=move.requested_by)


def _content_at(move: Move, kind: str) -> None:
    if kind == LocationKind.MAIN:
        ContentLocation.objects.filter(user_id=move.user_id).delete()  # no row: the main one
    else:
        assert move.destination is not None
        ContentLocation.objects.update_or_create(
            user_id=move.user_id,
            defaults={"connection": move.destination, "kind": kind, "changed_at": timezone.now()},
        )
    _record(
        move,
        EventKind.CONTENT_LOCATION_CHANGED,
        "Content is read and written in "
        + ("the main deployment" if kind == LocationKind.MAIN else "this deployment")
        + " from now on.",
        data={"kind": kind},
    )


@transaction.atomic
def move_failed(move: Move, *, category: str, message: str, worker: str | None = None) -> None:
    """The move ended without moving the content: it stays (and is written) where it was.
    `worker`: only if that worker still runs it (a worker's own failure)."""
    where = Q(worker=worker) if worker is not None else None
    switching = bool(move.switch_url)
    _change(
        move,
        allowed_from=UNFINISHED,
        to=MS.FAILED,
        where=where,
        worker="",
        ended_at=timezone.now(),
        error_category=category,
        error_message=message[:ERROR_LIMIT],
        tables=move.tables,
        **NO_SWITCH,
    )
    _record(
        move,
        EventKind.MOVE_FAILED,
        f"The move failed: {message} Your content stays where it was, and you can change it again.",
        data={"category": category},
        switching=switching,
    )


@transaction.atomic
def move_cancelled(move: Move, *, actor: User | None, reason: str = "") -> None:
    """Given up before it ended (before the flip: the content stays where it was)."""
    switching = bool(move.switch_url)
    _change(
        move,
        allowed_from=UNFINISHED,
        to=MS.CANCELLED,
        worker="",
        ended_at=timezone.now(),
        **NO_SWITCH,
    )
    _record(
        move,
        EventKind.MOVE_CANCELLED,
        reason or "Move cancelled; your content stays where it was.",
        actor=actor,
        switching=switching,
    )


@transaction.atomic
def move_purged(move: Move, *, removed: int, note: str = "") -> None:
    """The old copy of a finished move is gone (or could not be reached: `note` says why)."""
    updated = Move.objects.filter(pk=move.pk, status=MS.DONE, purged_at__isnull=True).update(
        purged_at=timezone.now(), phase=MovePhase.PURGED
    )
    if updated != 1:
        raise TransitionError(move, "purged", (MS.DONE,))
    move.phase = MovePhase.PURGED
    said = note or f"The old copy ({removed} documents) is purged."
    _record(move, EventKind.MOVE_PURGED, said, data={"removed": removed})
