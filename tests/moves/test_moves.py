"""Moves run here, in this process, against two emulated deployments: in, back and delete, with
another user's content beside the owner's; writes refused while a move runs; lost answers."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from byod.data import store_for
from byod.data.errors import DataError
from byod.errors import MOVING
from byod.models import ContentLocation, LocationKind, Move, MoveDirection, MoveStatus
from byod.services.moves import control
from byod.services.moves.run import run_move
from tests.moves.conftest import Pair, assert_all_there_once, count_owned, seed


def run_to_the_end(move: Move, **kwargs: Any) -> Move:
    """Run attempts until the move ends (a waiting move is tried again at once)."""
    for _ in range(200):
        run_move(move.pk, **kwargs)
        move.refresh_from_db()
        if move.is_finished:
            return move
        Move.objects.filter(pk=move.pk).update(next_attempt_at=None)
    raise AssertionError(f"move {move.pk} did not end: {move.status} {move.error_message}")


def paused_midway(pair: Pair, owner: User) -> Move:
    """One attempt of a move in, during which the main deployment pauses once messages were
    copied: the move waits (paused); the deployment stays paused."""
    move = control.request_move(owner, MoveDirection.IN, actor=owner)

    def pause(seen: Move) -> None:
        if int(seen.tables.get("messages", {}).get("copied") or 0):
            pair.main.set_state("paused")

    run_move(move.pk, progress=pause)
    move.refresh_from_db()
    assert move.status == MoveStatus.WAITING and move.error_category == "paused"
    return move


def test_in_back_and_delete_move_only_the_owners_content(
    pair: Pair, owner: User, other_user: User
) -> None:
    mine = seed(pair.main, owner, conversations=4, per_conversation=25)
    theirs = seed(pair.main, other_user, conversations=2, per_conversation=10)
    theirs_before = count_owned(pair.main, theirs)

    moved_in = run_to_the_end(control.request_move(owner, MoveDirection.IN, actor=owner))
    assert moved_in.status == MoveStatus.DONE, moved_in.error_message
    assert_all_there_once(pair.own, mine)
    assert count_owned(pair.own, theirs) == 0
    location = ContentLocation.objects.get(user=owner)
    assert (location.kind, location.connection_id) == (LocationKind.OWN, pair.own_connection.pk)
    assert all(state.get("verified") for state in moved_in.tables.values())
    assert moved_in.totals() == (count_owned(pair.own, mine), count_owned(pair.main, mine))

    moved_back = run_to_the_end(control.request_move(owner, MoveDirection.BACK, actor=owner))
    assert moved_back.status == MoveStatus.DONE, moved_back.error_message
    assert not ContentLocation.objects.filter(user=owner).exists()
    assert_all_there_once(pair.main, mine)  # the old main copy was cleared, then copied again

    deleted = run_to_the_end(control.request_move(owner, MoveDirection.DELETE, actor=owner))
    assert deleted.status == MoveStatus.DONE, deleted.error_message
    assert count_owned(pair.own, mine) == 0
    assert_all_there_once(pair.main, mine)
    assert count_owned(pair.main, theirs) == theirs_before


def test_writes_during_a_move_are_refused_and_none_is_lost(pair: Pair, owner: User) -> None:
    seed(pair.main, owner, conversations=2, per_conversation=10)
    with store_for(owner) as before:
        note_id = before.notes.insert(
            {"title": "kept", "content": "c", "createdAt": 1.0, "updatedAt": 1.0}
        )
    refused: list[str] = []

    def write_now(seen: Move) -> None:
        if seen.frozen_at is None or refused:
            return
        with store_for(owner) as during, pytest.raises(DataError) as caught:
            during.notes.insert(
                {"title": "lost?", "content": "c", "createdAt": 1.0, "updatedAt": 1.0}
            )
        refused.append(caught.value.category)
        assert during.notes.get(note_id) is not None  # reads go on, from the source

    move = run_to_the_end(
        control.request_move(owner, MoveDirection.IN, actor=owner), progress=write_now
    )
    assert move.status == MoveStatus.DONE and refused == [MOVING]
    with store_for(owner) as after:
        assert after.location.kind == "own" and not after.location.moving
        titles = [n["title"] for n in after.notes.page("by_user", limit=50).items]
        assert titles == ["kept"]
        after.notes.insert({"title": "after", "content": "c", "createdAt": 2.0, "updatedAt": 2.0})


def test_answers_lost_after_import_batches_commit_duplicate_nothing(
    pair: Pair, owner: User
) -> None:
    mine = seed(pair.main, owner, conversations=4, per_conversation=25)
    # One mutation in two on the destination: committed, then its answer lost.
    pair.own.set_fault("mutation", drop_after_commit=True, every=2)
    move = run_to_the_end(control.request_move(owner, MoveDirection.IN, actor=None))
    assert move.status == MoveStatus.DONE, move.error_message
    assert pair.own.calls()["dropped"] >= 2  # answers really were lost, after commits
    pair.own.clear_faults()
    assert_all_there_once(pair.own, mine)


def test_references_to_later_documents_are_set_by_the_second_pass(pair: Pair, owner: User) -> None:
    seed(pair.main, owner, conversations=2, per_conversation=30)
    # Each conversation's first message now answers its last one: a reference to a document
    # copied after it (batches of 50), which the import leaves to fixReferences.
    with store_for(owner) as store:
        messages = store.messages.page("by_user", limit=100).items
        by_text = {m["content"]: m["_id"] for m in messages}
        for c in range(2):
            store.messages.patch(
                by_text[f"owner-c{c}-m0"], {"parentMessageId": by_text[f"owner-c{c}-m29"]}
            )
    move = run_to_the_end(control.request_move(owner, MoveDirection.IN, actor=owner))
    assert move.status == MoveStatus.DONE, move.error_message
    state = move.tables["messages"]
    assert state["needs_fix"] is True and state["fixed"] == 2, state
    assert move.tables["conversations"].get("needs_fix") is False  # no pass where none is needed
    copied = {m["_id"]: m for m in pair.own.documents("messages")}
    for m in copied.values():
        c, k = m["content"].rsplit("-", 2)[1:]
        wanted = f"owner-{c}-m29" if k == "m0" else f"owner-{c}-m{int(k[1:]) - 1}"
        assert copied[m["parentMessageId"]]["content"] == wanted


def test_a_destination_holding_another_users_content_is_refused(
    pair: Pair, owner: User, other_user: User
) -> None:
    seed(pair.main, owner, conversations=1, per_conversation=3)
    seed(pair.own, other_user, conversations=1, per_conversation=3)
    move = run_to_the_end(control.request_move(owner, MoveDirection.IN, actor=None))
    assert (move.status, move.error_category) == (MoveStatus.FAILED, "foreign_content")
    assert not ContentLocation.objects.filter(user=owner).exists()
    with store_for(owner) as store:
        assert not store.location.moving  # writable again, where it was


def test_a_destination_that_runs_no_function_is_found_before_anything_is_frozen(
    pair: Pair, owner: User
) -> None:
    # What a deployment tells of its plan: paused, or over its limits, it runs no function.
    seed(pair.main, owner, conversations=1, per_conversation=3)
    pair.own.set_state("paused")
    move = control.request_move(owner, MoveDirection.IN, actor=owner)
    run_move(move.pk)
    move.refresh_from_db()
    assert (move.status, move.error_category, move.frozen_at) == (
        MoveStatus.WAITING,
        "paused",
        None,
    )
    with store_for(owner) as store:
        assert not store.location.moving  # the user's writes were never refused
    pair.own.set_state("running")
    assert run_to_the_end(move).status == MoveStatus.DONE


def test_a_deployment_away_midway_makes_the_move_wait_and_say_so(pair: Pair, owner: User) -> None:
    mine = seed(pair.main, owner, conversations=2, per_conversation=20)
    move = control.request_move(owner, MoveDirection.IN, actor=owner)
    paused: list[bool] = []

    def pause_once(seen: Move) -> None:
        if int(seen.tables.get("messages", {}).get("copied") or 0) and not paused:
            paused.append(True)
            pair.own.set_state("paused")  # the user paused their deployment midway

    run_move(move.pk, progress=pause_once)
    move.refresh_from_db()
    assert move.status == MoveStatus.WAITING
    assert move.error_category == "paused" and move.next_attempt_at is not None
    with store_for(owner) as store:
        assert store.location.kind == "main" and store.location.moving  # still frozen
    pair.own.set_state("running")
    ended = run_to_the_end(move)
    assert ended.status == MoveStatus.DONE, ended.error_message
    assert_all_there_once(pair.own, mine)


def test_a_copy_saved_without_its_summed_digest_is_verified_by_reading_the_source_again(
    pair: Pair, owner: User
) -> None:
    # A move saved midway by a worker that did not sum digests while copying (an older
    # release): the resumed move reads the source again to verify, and runs every fix pass.
    mine = seed(pair.main, owner, conversations=2, per_conversation=100)
    move = paused_midway(pair, owner)
    older = {
        table: {k: v for k, v in state.items() if k not in ("source_digest", "needs_fix")}
        for table, state in move.tables.items()
    }
    Move.objects.filter(pk=move.pk).update(tables=older)
    pair.main.set_state("running")
    pair.main.reset_calls()
    ended = run_to_the_end(move)
    assert ended.status == MoveStatus.DONE, ended.error_message
    assert_all_there_once(pair.own, mine)
    assert ended.tables["conversations"]["verified"] is True
    read_again = pair.main.calls()["functions"].get("query data/conversations:exportPage", 0)
    assert read_again >= 1  # the source's digest, read again


def test_the_source_away_while_a_batch_is_read_ahead_loses_and_doubles_nothing(
    pair: Pair, owner: User
) -> None:
    # The next batch is read from the source while one is written: the source paused then
    # fails that read; what was saved is only what was written, and the next attempt goes on.
    mine = seed(pair.main, owner, conversations=2, per_conversation=100)  # 4 batches of 50
    move = control.request_move(owner, MoveDirection.IN, actor=owner)
    saved: list[int] = []

    def pause_source(seen: Move) -> None:
        copied = int(seen.tables.get("messages", {}).get("copied") or 0)
        if copied and not saved:
            saved.append(copied)
            pair.main.set_state("paused")

    run_move(move.pk, progress=pause_source)
    move.refresh_from_db()
    assert move.status == MoveStatus.WAITING and move.error_category == "paused"
    messages = move.tables["messages"]
    # The batch read before the pause may have been written too, never more.
    assert saved[0] <= int(messages["copied"]) <= saved[0] + 50 < mine.messages
    assert not messages["copy_done"]
    pair.main.set_state("running")
    ended = run_to_the_end(move)
    assert ended.status == MoveStatus.DONE, ended.error_message
    assert_all_there_once(pair.own, mine)


def test_a_move_cancelled_midway_stops_and_leaves_the_content_where_it_was(
    pair: Pair, owner: User
) -> None:
    seed(pair.main, owner, conversations=2, per_conversation=20)
    move = control.request_move(owner, MoveDirection.IN, actor=owner)

    def cancel(seen: Move) -> None:
        if int(seen.tables.get("messages", {}).get("copied") or 0):
            control.cancel_move(Move.objects.get(pk=seen.pk), actor=owner)

    run_move(move.pk, progress=cancel)
    move.refresh_from_db()
    assert move.status == MoveStatus.CANCELLED
    assert not ContentLocation.objects.filter(user=owner).exists()
    with store_for(owner) as store:
        assert not store.location.moving
        store.notes.insert({"title": "t", "content": "c", "createdAt": 1.0, "updatedAt": 1.0})


def test_a_user_holding_files_is_refused_before_anything_moves(pair: Pair, owner: User) -> None:
    mine = seed(pair.main, owner, conversations=1, per_conversation=3)
    pair.main.insert(
        "files",
        {
            "userId": str(owner.external_id),
            "storageId": "kg2blob",
            "filename": "a.pdf",
            "mimeType": "application/pdf",
            "size": 1.0,
            "createdAt": 1.0,
            "updatedAt": 1.0,
        },
    )
    move = run_to_the_end(control.request_move(owner, MoveDirection.IN, actor=owner))
    assert (move.status, move.error_category) == (MoveStatus.FAILED, "blobs_not_moved")
    assert move.frozen_at is None  # never frozen: the user's writes went on
    assert "files cannot be moved" in move.error_message
    assert count_owned(pair.own, mine) == 0
