"""Whether a copied table needs the second pass that sets references to documents copied after
the one holding them (byod.services.moves.late)."""

from __future__ import annotations

from byod.services.moves.late import LateReferences

FIELDS = {"parentMessageId": "messages"}


def test_a_reply_after_the_message_it_answers_needs_no_second_pass() -> None:
    watch = LateReferences("messages", FIELDS, resumed=False)
    watch.add([{"_id": "a"}, {"_id": "b", "parentMessageId": "a"}])
    watch.add([{"_id": "c", "parentMessageId": "b"}, {"_id": "d", "parentMessageId": None}])
    assert not watch.pending


def test_a_reference_to_a_document_not_written_yet_needs_it() -> None:
    watch = LateReferences("messages", FIELDS, resumed=False)
    watch.add([{"_id": "a", "parentMessageId": "b"}, {"_id": "b"}])
    assert watch.pending


def test_a_resumed_copy_always_needs_it_and_a_table_without_late_references_never() -> None:
    assert LateReferences("messages", FIELDS, resumed=True).pending
    plain = LateReferences("conversations", {}, resumed=True)
    plain.add([{"_id": "a", "parentMessageId": "zz"}])
    assert not plain.pending


def test_a_reference_closing_a_loop_of_tables_needs_it() -> None:
    watch = LateReferences("notes", {"projectId": "projects"}, resumed=False)
    watch.add([{"_id": "n1"}])
    assert not watch.pending
    watch.add([{"_id": "n2", "projectId": "p1"}])
    assert watch.pending
