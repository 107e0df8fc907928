"""A batch sent twice writes nothing twice: after a lost answer (the same operation id, tried
again), after a crash (a new Transfer of the same move, a new operation id), and when the
connection drops after the import committed on a tenth of the batches."""

from __future__ import annotations

from tests.move_functions.conftest import ALICE, Side, copy_all, seed, transfer


def test_a_repeated_batch_writes_nothing_twice(main: Side, own: Side) -> None:
    seed(main, ALICE, conversations=6, messages=4)
    t = transfer(main, own, batch=10)
    t.copy_batch("conversations", None)

    first = t.copy_batch("messages", None)
    again = t.copy_batch("messages", None)

    assert first[1] == 10 and again == (first[0], 0)
    # A worker that died after the batch: a new engine for the same move skips it too.
    restarted = transfer(main, own, batch=10, move_id=t.move_id)
    assert restarted.copy_batch("messages", None) == (first[0], 0)
    assert len(own.docs("messages")) == 10


def test_a_lost_answer_is_tried_again_and_written_once(main: Side, own: Side) -> None:
    seed(main, ALICE, conversations=3, messages=4)
    t = transfer(main, own, batch=5)
    t.copy_batch("conversations", None)
    own.deployment.set_fault("mutation", drop_after_commit=True, times=1)

    cursor, written = t.copy_batch("messages", None)

    assert written == 5 and cursor is not None  # the stored result of the first try
    assert len(own.docs("messages")) == 5
    calls = own.deployment.calls()
    assert calls["dropped"] == 1
    assert calls["functions"]["mutation data/messages:importBatch"] == 2


def test_dropped_answers_on_a_tenth_of_the_imports_leave_every_document_once(
    main: Side, own: Side
) -> None:
    alice = seed(main, ALICE, conversations=10, messages=10)
    t = transfer(main, own, batch=10)
    own.deployment.set_fault("mutation", drop_after_commit=True, every=10)

    copy_all(t)

    own.deployment.clear_faults()
    for table, ids in alice.ids.items():
        assert len(own.docs(table)) == len(ids), table
        assert t.digest(table, "source") == t.digest(table, "destination"), table
    assert own.deployment.calls()["dropped"] >= 3


def test_a_page_or_batch_over_a_transactions_limits_is_sent_in_halves(
    main: Side, own: Side
) -> None:
    alice = seed(main, ALICE, conversations=4, messages=10)
    main.deployment.set_transaction_limits({"documentsRead": 40})
    own.deployment.set_transaction_limits({"documentsWritten": 30})
    t = transfer(main, own, batch=50)

    copy_all(t)

    main.deployment.set_transaction_limits(True)
    own.deployment.set_transaction_limits(True)
    # Once a table's page was too large, the next ones are asked at the size that fit.
    assert t._page_limits[("exportPage", "messages")] < 40
    assert len(own.docs("messages")) == len(alice.ids["messages"]) == 40
    assert t.digest("messages", "source") == t.digest("messages", "destination")


def test_after_a_batch_too_large_to_write_the_next_ones_are_sent_at_the_size_that_fit(
    main: Side, own: Side
) -> None:
    alice = seed(main, ALICE, conversations=2, messages=40)
    own.deployment.set_transaction_limits({"documentsWritten": 30})
    own.deployment.reset_calls()
    t = transfer(main, own, batch=40)
    try:
        copy_all(t)
    finally:
        own.deployment.set_transaction_limits(True)
    assert t._import_limits["messages"] == 10  # 40 -> 20 -> 10 (a copy writes 2 documents)
    assert len(own.docs("messages")) == len(alice.ids["messages"]) == 80
    # Two pages of 40 messages: the first tried at 40 and 20 before 10 fit, the second at 10.
    assert own.deployment.calls()["functions"]["mutation data/messages:importBatch"] == 2 + 4 + 4


def test_a_copy_removed_since_is_copied_again(main: Side, own: Side) -> None:
    seed(main, ALICE, conversations=5, messages=1)
    t = transfer(main, own)
    t.copy_batch("conversations", None)
    while t.remove_batch("conversations", "destination"):  # a caller clearing an attempt
        pass

    assert t.copy_batch("conversations", None) == (None, 5)
    assert t.digest("conversations", "source") == t.digest("conversations", "destination")
    assert len(own.docs("byodIdMap")) == 5


def test_counts_of_every_table_go_together_and_a_page_over_the_read_limit_is_asked_smaller(
    main: Side, own: Side
) -> None:
    alice = seed(main, ALICE, conversations=4, messages=10)
    t = transfer(main, own, batch=50)
    main.deployment.reset_calls()
    counted = t.counts(t.tables())
    # Every table in the first round trip; the largest in pages of 1,000 (one is enough).
    assert main.deployment.calls()["requests"] == 1
    assert {table: n for table, n in counted.items() if n} == {
        table: len(ids) for table, ids in alice.ids.items() if ids
    }
    main.deployment.set_transaction_limits({"documentsRead": 15})
    try:
        again = transfer(main, own, batch=50).counts(t.tables())
    finally:
        main.deployment.set_transaction_limits(True)
    assert again == counted
