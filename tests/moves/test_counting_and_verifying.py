"""The source is counted by a thread of its own while the copy goes on: the copy starts after
the first round, the counts arrive with its progress, a resumed move does not clear what it
copied, and a count that fails ends the attempt like any other call. Verification reads the
copies back through the id map, several tables at once: a copy changed meanwhile fails it."""

from __future__ import annotations

import pytest

from accounts.models import User
from byod.clients import Purpose, client_for_credentials
from byod.errors import MOVE_MISMATCH
from byod.models import ContentLocation, Move, MoveDirection, MovePhase, MoveStatus
from byod.services.moves import control, transfer
from byod.services.moves.run import run_move
from tests.moves.conftest import Pair, assert_all_there_once, seed
from tests.moves.helpers import make_move
from tests.moves.test_moves import paused_midway, run_to_the_end


@pytest.fixture
def slow_counts(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counts of 10 documents a round trip, each 150 ms on the main deployment (copies read
    with single queries, not slowed): counting 200 messages takes 20 round trips, ~3 s."""
    monkeypatch.setattr(transfer, "COUNT_PAGE", 10)
    pair.main.set_fault("query_batch", latency_ms=150)


@pytest.mark.usefixtures("slow_counts")
def test_the_copy_goes_on_while_the_source_is_counted(pair: Pair, owner: User) -> None:
    mine = seed(pair.main, owner, conversations=2, per_conversation=100)
    seen: list[tuple[int, int, bool]] = []

    def watch(move: Move) -> None:
        done, total = move.totals()
        seen.append((done, total, move.counted))

    ended = run_to_the_end(
        control.request_move(owner, MoveDirection.IN, actor=owner), progress=watch
    )

    assert ended.status == MoveStatus.DONE, ended.error_message
    assert_all_there_once(pair.own, mine)
    # Documents were copied before every table was counted; the total said so (0: unknown).
    assert any(done > 0 and not counted and total == 0 for done, total, counted in seen)
    assert ended.totals() == (mine.total, mine.total)
    assert ended.tables["messages"]["source_count"] == mine.messages


@pytest.mark.usefixtures("slow_counts")
def test_a_move_resumed_before_every_table_was_counted_keeps_what_it_copied(
    pair: Pair, owner: User
) -> None:
    mine = seed(pair.main, owner, conversations=2, per_conversation=100)
    move = paused_midway(pair, owner)
    assert not move.counted
    assert int(move.tables["messages"]["copied"]) > 0
    pair.main.set_state("running")
    pair.own.reset_calls()

    ended = run_to_the_end(move)

    assert ended.status == MoveStatus.DONE, ended.error_message
    assert_all_there_once(pair.own, mine)
    removed = {k: n for k, n in pair.own.calls()["functions"].items() if "removeBatch" in k}
    assert removed == {}  # the destination was cleared once, before the first copy


def test_a_count_that_fails_makes_the_move_wait(pair: Pair, owner: User) -> None:
    mine = seed(pair.main, owner, conversations=2, per_conversation=20)
    # The main deployment's first query batch is the preflight's (files held?), the second
    # the count's first round: that one is refused.
    pair.main.set_fault("query_batch", paused=True, every=2)
    move = control.request_move(owner, MoveDirection.IN, actor=owner)

    run_move(move.pk)

    move.refresh_from_db()
    assert move.status == MoveStatus.WAITING and move.error_category == "paused"
    assert move.frozen_at is not None  # past the preflight: it was the count that was refused
    pair.main.clear_faults()
    ended = run_to_the_end(move)
    assert ended.status == MoveStatus.DONE, ended.error_message
    assert_all_there_once(pair.own, mine)


def test_totals_are_unknown_until_every_table_is_counted(owner: User) -> None:
    move = make_move(owner)
    move.tables = {"conversations": {"source_count": 2, "copied": 2}, "messages": {"copied": 50}}
    assert move.totals() == (52, 0)
    move.tables["messages"]["source_count"] = 60
    assert move.totals() == (52, 62)


def test_a_copy_changed_before_verification_fails_the_move_and_nothing_flips(
    pair: Pair, owner: User
) -> None:
    seed(pair.main, owner, conversations=2, per_conversation=20)
    move = control.request_move(owner, MoveDirection.IN, actor=owner)
    changed: list[str] = []

    def change_a_copy(seen: Move) -> None:
        if seen.phase == MovePhase.VERIFYING and not changed:
            copy = next(d for d in pair.own.documents("messages"))
            with client_for_credentials(
                pair.own.url, pair.own.admin_key, purpose=Purpose.DATA_WORKER
            ) as client:
                client.mutation(
                    "data/messages:patch",
                    {"owner": str(owner.external_id), "opId": "tampered-1", "id": copy["_id"],
                     "fields": {"content": "changed behind the move's back"}},
                )  # fmt: skip
            changed.append(copy["_id"])

    run_move(move.pk, progress=change_a_copy)

    move.refresh_from_db()
    assert changed and move.status == MoveStatus.FAILED
    assert move.error_category == MOVE_MISMATCH
    assert move.tables["messages"].get("verified") is not True
    assert not ContentLocation.objects.filter(user=owner).exists()  # still in the main one
