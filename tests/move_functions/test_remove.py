"""Removing one owner's documents batch by batch, children tables first, until none remain;
forgetting a move's id map."""

from __future__ import annotations

from tests.move_functions.conftest import ALICE, BOB, Side, copy_all, seed, transfer


def test_remove_batch_goes_on_until_none_remain(main: Side, own: Side) -> None:
    alice = seed(own, ALICE, conversations=5, messages=8)
    seed(own, BOB, conversations=1, messages=3)
    t = transfer(own, None, batch=7)  # a delete: no destination

    calls = 0
    for table in reversed(t.tables()):
        while (removed := t.remove_batch(table, "source")) > 0:
            assert removed <= 7
            calls += 1

    assert calls >= alice.total() // 7
    for table in alice.ids:
        assert t.count(table, "source") == 0, table
        assert all(d.get("userId", BOB) == BOB for d in own.docs(table)), table
    assert len(own.docs("messages")) == 3 and len(own.docs("toolCalls")) == 2


def test_a_new_engine_finds_what_an_old_one_left(main: Side, own: Side) -> None:
    seed(own, ALICE, conversations=3, messages=6)
    first = transfer(own, None, batch=4)
    assert first.remove_batch("toolCalls", "source") == 4

    again = transfer(own, None, batch=4, move_id=first.move_id)
    while again.remove_batch("toolCalls", "source"):
        pass

    assert again.count("toolCalls") == 0
    assert own.docs("toolCalls") == []


def test_forget_removes_the_move_map_and_only_it(main: Side, own: Side) -> None:
    alice = seed(main, ALICE, conversations=3, messages=4)
    seed(main, BOB, conversations=2, messages=2)
    t = transfer(main, own)
    bobs = transfer(main, own, owner=BOB)
    copy_all(t)
    copy_all(bobs)

    assert t.forget() == alice.total()
    assert t.forget() == 0
    remaining = own.docs("byodIdMap")
    assert remaining and {row["moveId"] for row in remaining} == {bobs.move_id}
    assert transfer(main, None).forget() == 0
