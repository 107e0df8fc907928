"""A move's status changes: one unfinished move per user, each change an Event, the worker's
writes fenced, the location flipped with the end of the move and nowhere else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from byod import transitions
from byod.models import (
    ContentLocation,
    Event,
    EventKind,
    LocationKind,
    Move,
    MoveDirection,
    MoveStatus,
)
from byod.transitions import MoveStopped, TransitionError
from tests.moves.helpers import make_move


def kinds(move: Move) -> list[str]:
    return list(Event.objects.filter(move=move).order_by("id").values_list("kind", flat=True))


def test_it_allows_one_unfinished_move_per_user(owner: User) -> None:
    first = make_move(owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_move(owner, MoveDirection.DELETE)
    transitions.move_cancelled(first, actor=owner)
    assert make_move(owner, MoveDirection.DELETE).status == MoveStatus.QUEUED


def test_a_move_in_flips_the_location_when_it_is_done(owner: User) -> None:
    move = make_move(owner)
    transitions.move_running(move, worker="w1")
    transitions.move_frozen(move)
    assert not ContentLocation.objects.filter(user=owner).exists()  # still the main one
    transitions.move_verifying(move)
    transitions.move_done(move, keep_days=7)
    location = ContentLocation.objects.get(user=owner)
    assert (location.kind, location.connection_id) == (LocationKind.OWN, move.destination_id)
    move.refresh_from_db()
    assert move.status == MoveStatus.DONE and move.worker == ""
    assert move.purge_after is not None
    assert move.purge_after - timezone.now() > timedelta(days=6)
    assert kinds(move) == [
        EventKind.MOVE_QUEUED,
        EventKind.MOVE_RUNNING,
        EventKind.MOVE_FROZEN,
        EventKind.MOVE_VERIFYING,
        EventKind.CONTENT_LOCATION_CHANGED,
        EventKind.MOVE_DONE,
    ]


def test_a_move_back_leaves_no_location_row(owner: User) -> None:
    move = make_move(owner, MoveDirection.BACK)
    ContentLocation.objects.create(
        user=owner, connection=move.source, kind=LocationKind.OWN, changed_at=timezone.now()
    )
    transitions.move_running(move, worker="w1")
    transitions.move_verifying(move)
    transitions.move_done(move, keep_days=7)
    assert not ContentLocation.objects.filter(user=owner).exists()


def test_a_worker_that_lost_the_move_writes_nothing(owner: User) -> None:
    move = make_move(owner)
    transitions.move_running(move, worker="w1")
    stale = Move.objects.get(pk=move.pk)
    stale.worker = "w1"
    transitions.move_interrupted(move)  # the reaper: back to queued
    transitions.move_running(move, worker="w2")
    stale.tables = {"notes": {"copied": 5}}
    with pytest.raises(MoveStopped):
        transitions.save_move_progress(stale)
    with pytest.raises(TransitionError):
        transitions.move_verifying(stale)
    move.refresh_from_db()
    assert move.tables == {} and move.worker == "w2" and move.attempts == 2


def test_a_cancelled_move_cannot_flip(owner: User) -> None:
    move = make_move(owner)
    transitions.move_running(move, worker="w1")
    worker_view = Move.objects.get(pk=move.pk)
    transitions.move_cancelled(move, actor=owner)
    with pytest.raises(TransitionError):
        transitions.move_done(worker_view, keep_days=7)
    assert not ContentLocation.objects.filter(user=owner).exists()


def test_waiting_records_why_and_when_and_resumes(owner: User) -> None:
    move = make_move(owner)
    transitions.move_running(move, worker="w1")
    at = timezone.now() + timedelta(seconds=30)
    transitions.move_waiting(move, category="unreachable", message="gone", retry_at=at)
    move.refresh_from_db()
    assert (move.status, move.error_category, move.next_attempt_at) == (
        MoveStatus.WAITING,
        "unreachable",
        at,
    )
    transitions.move_running(move, worker="w2")
    assert Move.objects.get(pk=move.pk).status == MoveStatus.RUNNING


def test_a_failed_move_says_the_content_stays(owner: User) -> None:
    move = make_move(owner)
    transitions.move_running(move, worker="w1")
    transitions.move_failed(move, category="internal_error", message="Broken.", worker="w1")
    last = Event.objects.filter(move=move).first()
    assert last is not None and last.kind == EventKind.MOVE_FAILED
    assert "stays where it was" in last.message
    assert move.ended_at is not None


def test_a_purge_is_recorded_once(owner: User) -> None:
    move = make_move(owner)
    transitions.move_running(move, worker="w1")
    transitions.move_verifying(move)
    transitions.move_done(move, keep_days=0)
    transitions.move_purged(move, removed=3)
    with pytest.raises(TransitionError):
        transitions.move_purged(move, removed=3)
