"""In, then back, at the engine's level: the main deployment ends with all of the owner's
documents (their content as it was), the own one with none, another owner's untouched. (Digests
write references as the move's source ids, so only tables without references compare across
two moves.)"""

from __future__ import annotations

import json
from typing import Any

from byod.services.moves.transfer import Transfer
from tests.move_functions.conftest import ALICE, BOB, Side, copy_all, seed, transfer


def _remove_all(t: Transfer, side: str) -> None:
    for table in reversed(t.tables()):
        while t.remove_batch(table, side):  # type: ignore[arg-type]
            pass


REFERENCES = {
    "messages": {"conversationId": "conversations", "parentMessageId": "messages"},
    "toolCalls": {"messageId": "messages"},
    "sources": {"messageId": "messages"},
    "noteTags": {"noteId": "notes", "tagId": "tags"},
    "conversationTags": {"conversationId": "conversations", "tagId": "tags"},
}


def resolved(side: Side, owner: str) -> dict[str, list[str]]:
    """The owner's documents without ids: each reference replaced by its target's content."""
    docs = {t: side.by_id(t) for t in ("conversations", "notes", "tags", *REFERENCES)}

    def content(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if not k.startswith("_")}

    def owned(table: str, doc: dict[str, Any]) -> bool:
        if "userId" in doc:
            return bool(doc["userId"] == owner)
        return owned("messages", docs["messages"][doc["messageId"]])

    out = {}
    for table, by_id in docs.items():
        rows = []
        for doc in by_id.values():
            if not owned(table, doc):
                continue
            row = content(doc)
            for field, target in REFERENCES.get(table, {}).items():
                if field in row:
                    pointed = content(docs[target][row[field]])
                    row[field] = {
                        k: v for k, v in pointed.items() if k not in REFERENCES.get(target, {})
                    }
            rows.append(json.dumps(row, sort_keys=True))
        out[table] = sorted(rows)
    return out


def test_in_then_back(main: Side, own: Side) -> None:
    alice = seed(main, ALICE, conversations=4, messages=6)
    bob = seed(main, BOB, conversations=2, messages=3)
    as_bob = transfer(main, None, owner=BOB)
    bob_before = {table: as_bob.digest(table, "source") for table in bob.ids}
    moved_in = transfer(main, own)
    original = {table: moved_in.digest(table, "source") for table in alice.ids}
    before = resolved(main, ALICE)

    copy_all(moved_in)
    assert {table: moved_in.digest(table, "destination") for table in alice.ids} == original
    _remove_all(moved_in, "source")
    moved_in.forget()
    back = transfer(own, main)
    assert back.foreign_documents() is True  # Bob's content is there: the caller allows it
    copy_all(back)
    for table in alice.ids:
        assert back.digest(table, "source") == back.digest(table, "destination"), table
    for table in ("conversations", "notes", "tags"):  # no references: comparable across moves
        assert back.digest(table, "destination") == original[table], table
    _remove_all(back, "source")
    back.forget()

    for table, ids in alice.ids.items():
        assert back.count(table, "source") == 0, table
        assert back.count(table, "destination") == len(ids), table
    assert {table: as_bob.digest(table, "source") for table in bob.ids} == bob_before
    assert resolved(main, ALICE) == before
    assert own.docs("byodIdMap") == [] and main.docs("byodIdMap") == []
    assert all(own.docs(table) == [] for table in alice.ids)
