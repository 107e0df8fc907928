"""Asking for moves: where each direction may start, the move in after a first deploy when
moves are on, the reaper, the purge of old copies, and `byod_move`."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from byod import transitions
from byod.errors import ByodError, NotAllowed
from byod.models import ContentLocation, EventKind, LocationKind, Move, MoveDirection, MoveStatus
from byod.services.moves import control, purge, reaper
from byod.services.moves.run import run_move
from tests.moves.conftest import Pair, count_owned, seed
from tests.moves.helpers import main_and_own, make_move


def test_a_user_cannot_ask_twice_nor_move_content_where_it_is(pair: Pair, owner: User) -> None:
    control.request_move(owner, MoveDirection.IN, actor=owner)
    with pytest.raises(NotAllowed) as twice:
        control.request_move(owner, MoveDirection.DELETE, actor=owner)
    assert "already under way" in twice.value.user_message
    Move.objects.update(status=MoveStatus.CANCELLED)
    with pytest.raises(NotAllowed) as back:
        control.request_move(owner, MoveDirection.BACK, actor=owner)
    assert "main deployment already" in back.value.user_message


def test_with_moves_on_a_first_deploy_brings_the_content_in(
    pair: Pair, owner: User, settings: Any
) -> None:
    settings.BYOD_MOVES_ENABLED = True
    transitions.connection_created(pair.own_connection, actor=owner)
    assert not ContentLocation.objects.filter(user=owner).exists()  # still in the main one
    move = control.after_first_deploy(pair.own_connection)
    assert move is not None and move.direction == MoveDirection.IN
    assert control.after_first_deploy(pair.own_connection) is None  # one at a time


def test_with_moves_off_nothing_starts_by_itself(pair: Pair, owner: User, settings: Any) -> None:
    settings.BYOD_MOVES_ENABLED = False
    assert control.after_first_deploy(pair.own_connection) is None
    assert not Move.objects.exists()


def test_the_reaper_puts_a_move_whose_worker_died_back_in_the_queue(owner: User) -> None:
    move = make_move(owner)
    transitions.move_running(move, worker="gone")  # holds no lease: its worker died
    assert reaper.reap_abandoned_moves() == [move.pk]
    move.refresh_from_db()
    assert (move.status, move.worker) == (MoveStatus.QUEUED, "")
    assert move.events.filter(kind=EventKind.MOVE_INTERRUPTED).count() == 1
    assert reaper.reap_abandoned_moves() == []


def test_the_old_copy_is_purged_when_due_and_not_while_it_is_the_content(
    pair: Pair, owner: User, time_machine: Any
) -> None:
    mine = seed(pair.main, owner, conversations=2, per_conversation=10)
    move = control.request_move(owner, MoveDirection.IN, actor=owner)
    run_move(move.pk)
    move.refresh_from_db()
    assert move.status == MoveStatus.DONE and move.purge_after is not None
    assert purge.purge_due() == 0  # kept for BYOD_MOVE_KEEP_DAYS
    assert count_owned(pair.main, mine) > 0
    time_machine.move_to(move.purge_after + timedelta(minutes=1))
    assert purge.purge_due() == 1
    assert count_owned(pair.main, mine) == 0
    assert count_owned(pair.own, mine) == mine.total
    move.refresh_from_db()
    assert move.purged_at is not None


def test_a_copy_that_is_the_content_again_is_never_purged(pair: Pair, owner: User) -> None:
    mine = seed(pair.main, owner, conversations=1, per_conversation=5)
    move = make_move(owner)
    transitions.move_running(move, worker="w")
    transitions.move_verifying(move)
    transitions.move_done(move, keep_days=0)
    ContentLocation.objects.filter(user=owner).delete()  # the content is in main again
    Move.objects.filter(pk=move.pk).update(purge_after=timezone.now() - timedelta(days=1))
    assert purge.purge_due() == 1
    assert count_owned(pair.main, mine) == mine.total
    assert "lives there again" in move.events.get(kind=EventKind.MOVE_PURGED).message


def test_the_command_counts_on_a_dry_run_and_moves_with_a_summary(pair: Pair, owner: User) -> None:
    seed(pair.main, owner, conversations=2, per_conversation=10)
    out = StringIO()
    call_command("byod_move", "in", "--user", "owner", "--dry-run", stdout=out)
    said = out.getvalue()
    assert "messages" in said and "20" in said and "nothing was written" in said
    assert not Move.objects.exists()
    out = StringIO()
    call_command("byod_move", "in", "--user", "owner", stdout=out)
    said = out.getvalue()
    assert "1 of 1 move(s) finished." in said
    # The bar is drawn once everything is counted: its total is the documents', never a guess.
    assert "26/26 done" in said and "/1 done" not in said
    assert ContentLocation.objects.get(user=owner).kind == LocationKind.OWN
    with pytest.raises(CommandError, match="did not finish"):
        call_command("byod_move", "in", "--user", "owner", stdout=StringIO())


def test_a_deployment_without_the_move_functions_is_told_to_update(owner: User) -> None:
    main_and_own(owner, version=3)
    with pytest.raises(ByodError) as caught:
        control.request_move(owner, MoveDirection.IN, actor=owner)
    assert caught.value.category == "update_needed"
    assert "cannot move content" in caught.value.user_message
    assert not Move.objects.exists()
