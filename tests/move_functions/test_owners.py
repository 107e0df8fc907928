"""Another owner's documents are never exported, imported over or removed, and a destination
holding some says so before anything is copied."""

from __future__ import annotations

import pytest

from byod.errors import INVALID_ARGUMENT, ConvexError
from tests.move_functions.conftest import ALICE, BOB, Side, copy_all, seed, transfer


def test_another_owners_documents_stay_where_and_as_they_are(main: Side, own: Side) -> None:
    seed(main, ALICE, conversations=4, messages=5)
    bob = seed(main, BOB, conversations=3, messages=4)
    as_bob = transfer(main, None, owner=BOB)
    before = {table: as_bob.digest(table, "source") for table in bob.ids}
    t = transfer(main, own)

    copy_all(t)
    for table in reversed(t.tables()):
        while t.remove_batch(table, "source"):
            pass

    assert {table: as_bob.digest(table, "source") for table in bob.ids} == before
    assert all(before[table].count == len(ids) for table, ids in bob.ids.items())
    for table in bob.ids:
        assert t.count(table, "source") == 0, table
        assert len(main.docs(table)) == len(bob.ids[table]), table
        assert not [d for d in own.docs(table) if d.get("userId") == BOB], table


def test_a_destination_with_another_owners_documents_is_found(main: Side, own: Side) -> None:
    t = transfer(main, own)
    assert t.foreign_documents() is False
    seed(own, ALICE, conversations=2, messages=2)
    assert t.foreign_documents() is False

    seed(own, BOB, conversations=1, messages=1)

    assert t.foreign_documents() is True
    assert transfer(main, own, owner=BOB).foreign_documents() is True


def test_an_import_of_another_owners_document_is_refused(main: Side, own: Side) -> None:
    seed(main, BOB, conversations=1, messages=1)
    bobs = main.docs("conversations")
    with pytest.raises(ConvexError) as caught:
        own.client.mutation(
            "data/conversations:importBatch",
            {"owner": ALICE, "opId": "import-bob-1", "moveId": "m1", "docs": bobs},
        )
    assert caught.value.category == INVALID_ARGUMENT
    assert own.docs("conversations") == []


def test_a_page_never_holds_another_owners_documents(main: Side, own: Side) -> None:
    seed(main, ALICE, conversations=2, messages=3)
    seed(main, BOB, conversations=2, messages=3)
    t = transfer(main, own, batch=4)
    for table in ("conversations", "messages", "toolCalls", "sources"):
        cursor: str | None = None
        seen = []
        while True:
            args = {"owner": ALICE, "cursor": cursor, "numItems": 4}
            page = main.client.query(f"data/{table}:exportPage", args)
            seen += page["page"]
            if page["isDone"]:
                break
            cursor = page["continueCursor"]
        assert len(seen) == t.count(table) > 0
        assert all(d.get("userId", ALICE) == ALICE for d in seen)
        assert all(ALICE[:4] in str(d.get("toolName", d.get("url", ALICE))) for d in seen)


def test_documents_naming_a_blob_are_counted(main: Side, own: Side) -> None:
    seed(main, ALICE, conversations=1, messages=2)
    message = main.docs("messages")[0]["_id"]
    blob = main.deployment.insert("_storage", {"sha256": "x", "size": 1})
    main.deployment.insert_many(
        "files",
        [
            {
                "userId": ALICE,
                "filename": "a",
                "mimeType": "t",
                "size": 1.0,
                "createdAt": 1.0,
                "updatedAt": 1.0,
                **({"storageId": blob} if i == 0 else {}),
            }
            for i in range(3)
        ],
    )
    main.deployment.insert(
        "attachments",
        {
            "messageId": message,
            "userId": ALICE,
            "storageId": blob,
            "filename": "a",
            "mimeType": "t",
            "size": 1.0,
            "createdAt": 1.0,
        },
    )
    assert transfer(main, own).blob_documents() == 2
    assert transfer(main, own, owner=BOB).blob_documents() == 0
