"""Copying one owner's content from the main deployment to their own: every document once,
every reference pointing at the copy of what it pointed at, digests equal on both sides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.move_functions.conftest import ALICE, BOB, Side, copy_all, seed, transfer

CONVERSATIONS = 20
MESSAGES = 50  # a conversation's: 1,000 messages, 500 tool calls, 334 sources, ...


def _key(doc: dict[str, Any]) -> Any:
    """What identifies a seeded document by content (each is unique within its table)."""
    for name in ("content", "title", "toolName", "url", "name"):
        if name in doc:
            return doc[name]
    return ("link", doc.get("createdAt"))


def test_it_copies_every_document_once_with_references_remapped(main: Side, own: Side) -> None:
    alice = seed(main, ALICE, conversations=CONVERSATIONS, messages=MESSAGES)
    seed(main, BOB, conversations=3, messages=5)
    t = transfer(main, own)

    written = copy_all(t)

    for table, ids in alice.ids.items():
        assert written[table] == len(ids), table
        assert len(own.docs(table)) == len(ids), table
        source = t.digest(table, "source")
        assert source == t.digest(table, "destination") and source.count == len(ids), table
    assert sum(written.values()) == alice.total() > 1900
    assert t.count("toolCalls", "source") == t.count("toolCalls", "destination") == 500
    docs = _reader()
    # Follow every reference on the destination: it leads to the copy of the source's target.
    for table, field, target in [
        ("messages", "conversationId", "conversations"),
        ("messages", "parentMessageId", "messages"),
        ("toolCalls", "messageId", "messages"),
        ("sources", "messageId", "messages"),
        ("noteTags", "noteId", "notes"),
        ("noteTags", "tagId", "tags"),
        ("conversationTags", "conversationId", "conversations"),
        ("conversationTags", "tagId", "tags"),
    ]:
        source_targets, copied_targets = docs(main, target), docs(own, target)
        source_docs = {_key(d): d for d in docs(main, table).values() if _mine(d)}
        for copy in docs(own, table).values():
            original = source_docs[_key(copy)]
            if field not in original:
                assert field not in copy
                continue
            assert _key(copied_targets[copy[field]]) == _key(source_targets[original[field]])
    assert all(d.get("userId") in (None, ALICE) for t_ in alice.ids for d in own.docs(t_))


def _reader() -> Callable[[Side, str], dict[str, Any]]:
    """The side's documents of a table by id, each table read once (nothing changes while
    references are followed)."""
    read: dict[tuple[str, str], dict[str, Any]] = {}

    def docs(side: Side, table: str) -> dict[str, Any]:
        key = (side.deployment.name, table)
        if key not in read:
            read[key] = side.by_id(table)
        return read[key]

    return docs


def test_a_digest_sees_a_missing_or_changed_document(main: Side, own: Side) -> None:
    seed(main, ALICE, conversations=2, messages=5)
    t = transfer(main, own)
    copy_all(t)
    assert t.digest("messages", "source") == t.digest("messages", "destination")

    one = own.docs("messages")[3]
    own.client.mutation(
        "data/messages:patch",
        {"owner": ALICE, "opId": "changed-one-1", "id": one["_id"], "fields": {"content": "x"}},
    )
    changed = t.digest("messages", "destination")
    assert changed.count == 10
    assert changed != t.digest("messages", "source")

    # A copy removed since: its id-map row is still there, the copy is not (`missing`).
    gone = own.docs("messages")[0]["_id"]
    own.client.mutation(
        "data/messages:remove", {"owner": ALICE, "opId": "removed-one-1", "id": gone}
    )
    answer = own.client.query(
        "data/messages:copiesPage",
        {"owner": ALICE, "moveId": t.move_id, "cursor": None, "numItems": 100},
    )
    assert (answer["count"], answer["missing"]) == (9, 1)
    assert t.digest("messages", "destination").count == 9


def _mine(doc: dict[str, Any]) -> bool:
    """Whether a seeded document is Alice's (tool calls and sources say so in their text)."""
    if "userId" in doc:
        return bool(doc["userId"] == ALICE)
    return ALICE[:4] in str(_key(doc))


def test_a_reference_to_a_removed_document_is_left_out_on_both_sides(main: Side, own: Side) -> None:
    seed(main, ALICE, conversations=1, messages=3)
    first, second, _ = (d["_id"] for d in main.docs("messages"))
    main.client.mutation(
        "data/messages:remove", {"owner": ALICE, "opId": "remove-first-1", "id": first}
    )
    assert main.by_id("messages")[second]["parentMessageId"] == first  # Convex keeps it
    t = transfer(main, own)

    copy_all(t)

    assert t.digest("messages", "source") == t.digest("messages", "destination")
    copies = {d["content"]: d for d in own.docs("messages")}
    assert "parentMessageId" not in copies[main.by_id("messages")[second]["content"]]
    assert len(copies) == 2


def test_documents_created_at_the_same_time_are_each_copied_once(main: Side, own: Side) -> None:
    seed(main, ALICE, conversations=1, messages=0)
    conversation = main.docs("conversations")[0]["_id"]
    same = 1_700_000_000_000.0
    parents = main.deployment.insert_many(
        "messages",
        [
            {
                "conversationId": conversation,
                "userId": ALICE,
                "role": "user",
                "content": f"m{i}",
                "createdAt": 1.0,
                "updatedAt": 1.0,
                "_creationTime": same,
            }
            for i in range(3)
        ],
    )
    main.deployment.insert_many(
        "toolCalls",
        [
            {
                "messageId": parent,
                "toolName": f"t{i}",
                "toolArgs": {},
                "status": "complete",
                "createdAt": 1.0,
                "_creationTime": same,
            }
            for parent in parents
            for i in range(3)
        ],
    )
    t = transfer(main, own, batch=2)

    written = copy_all(t)

    assert written["messages"] == 3 and written["toolCalls"] == 9
    assert t.digest("toolCalls", "source") == t.digest("toolCalls", "destination")
    assert t.count("toolCalls", "destination") == 9
