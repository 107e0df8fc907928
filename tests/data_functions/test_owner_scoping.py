"""Owner A never reads, changes or deletes owner B's documents: by id, by page, by search, or
through a parent, for each kind of table (owned by a field, through a parent, two levels)."""

from __future__ import annotations

from byod.categories import INVALID_ARGUMENT, NOT_FOUND
from tests.data_functions.conftest import (
    ALICE,
    BOB,
    FIRST_PAGE,
    Data,
    conversation,
    message,
    tool_call,
)


def page(data: Data, table: str, owner: str, index: str, **eq: object) -> list[dict[str, object]]:
    result = data.query(
        table,
        "page",
        owner,
        index=index,
        eq=eq,
        order="asc",
        paginationOpts={"numItems": 100, "cursor": None},
    )
    items: list[dict[str, object]] = result["page"]
    return items


def test_a_document_owned_by_a_field_is_invisible_to_another_owner(data: Data) -> None:
    mine = data.insert("conversations", ALICE, conversation(title="Alice's plans"))
    data.insert("conversations", BOB, conversation(title="Bob's plans"))

    assert data.query("conversations", "get", ALICE, id=mine)["title"] == "Alice's plans"
    assert data.query("conversations", "get", BOB, id=mine) is None
    assert [d["title"] for d in page(data, "conversations", BOB, "by_user")] == ["Bob's plans"]
    hits = data.query("conversations", "search", BOB, index="search_title", query="plans", limit=10)
    assert [d["title"] for d in hits] == ["Bob's plans"]
    # Asking for Alice's documents by naming her is refused, not answered.
    assert data.refused("conversations", "page", BOB, index="by_user", eq={"userId": ALICE},
                        order="asc", paginationOpts=FIRST_PAGE) == INVALID_ARGUMENT  # fmt: skip
    assert data.refused("conversations", "patch", BOB, id=mine, fields={"title": "x"}) == NOT_FOUND
    assert data.refused("conversations", "remove", BOB, id=mine) == NOT_FOUND
    assert data.query("conversations", "get", ALICE, id=mine)["title"] == "Alice's plans"


def test_the_owner_field_is_set_by_the_function_and_never_changes(data: Data) -> None:
    assert data.refused("notes", "insert", BOB, doc=note(userId=ALICE)) == INVALID_ARGUMENT
    mine = data.insert("notes", ALICE, note())
    assert data.query("notes", "get", ALICE, id=mine)["userId"] == ALICE
    assert data.refused("notes", "patch", ALICE, id=mine, fields={"userId": BOB}) == (
        INVALID_ARGUMENT
    )
    assert data.refused("notes", "patch", ALICE, id=mine, fields={}, unset=["userId"]) == (
        INVALID_ARGUMENT
    )
    assert data.refused("notes", "insert", ALICE, doc={**note(), "_id": mine}) == INVALID_ARGUMENT
    assert data.query("notes", "get", ALICE, id=mine)["userId"] == ALICE


def test_a_reference_to_another_owners_document_is_not_found(data: Data) -> None:
    bobs = data.insert("conversations", BOB, conversation())
    mine = data.insert("conversations", ALICE, conversation())
    assert data.refused("messages", "insert", ALICE, doc=message(bobs)) == NOT_FOUND
    said = data.insert("messages", ALICE, message(mine))
    assert data.refused("messages", "patch", ALICE, id=said, fields={"conversationId": bobs}) == (
        NOT_FOUND
    )
    assert data.query("messages", "get", ALICE, id=said)["conversationId"] == mine
    assert data.invisible("messages", said, to=BOB)


def test_documents_owned_through_a_parent_two_levels_deep(data: Data) -> None:
    mine = data.insert("conversations", ALICE, conversation())
    said = data.insert("messages", ALICE, message(mine))
    call = data.insert("toolCalls", ALICE, tool_call(said))
    bobs_conversation = data.insert("conversations", BOB, conversation())
    bobs_message = data.insert("messages", BOB, message(bobs_conversation))

    assert data.query("toolCalls", "get", ALICE, id=call)["messageId"] == said
    assert data.query("toolCalls", "get", BOB, id=call) is None
    # A tool call under Bob's message, by Alice: not found (his message is not hers).
    assert data.refused("toolCalls", "insert", ALICE, doc=tool_call(bobs_message)) == NOT_FOUND
    # Paging Alice's message's tool calls as Bob: not found, never her documents.
    assert data.refused("toolCalls", "page", BOB, index="by_message", eq={"messageId": said},
                        order="asc", paginationOpts=FIRST_PAGE) == NOT_FOUND  # fmt: skip
    assert [d["_id"] for d in page(data, "toolCalls", ALICE, "by_message", messageId=said)] == [
        call
    ]
    assert data.refused("toolCalls", "patch", BOB, id=call, fields={"status": "error"}) == (
        NOT_FOUND
    )
    assert data.refused("toolCalls", "remove", BOB, id=call) == NOT_FOUND
    # Moving Bob's own tool call under Alice's message is refused too.
    bobs_call = data.insert("toolCalls", BOB, tool_call(bobs_message))
    assert data.refused("toolCalls", "patch", BOB, id=bobs_call, fields={"messageId": said}) == (
        NOT_FOUND
    )
    assert data.query("toolCalls", "get", ALICE, id=call)["status"] == "complete"
    # A parent-owned page must name its parent.
    assert data.refused("toolCalls", "page", ALICE, index="by_message", eq={}, order="asc",
                        paginationOpts=FIRST_PAGE) == INVALID_ARGUMENT  # fmt: skip


def test_participants_belong_to_the_conversations_owner(data: Data) -> None:
    mine = data.insert("conversations", ALICE, conversation())
    row = {"conversationId": mine, "clerkId": BOB, "role": "viewer", "joinedAt": 1.0}
    joined = data.insert("conversationParticipants", ALICE, row)
    # Bob is named in the row, but the row is Alice's: her conversation's.
    assert data.query("conversationParticipants", "get", BOB, id=joined) is None
    assert data.refused("conversationParticipants", "insert", BOB, doc=row) == NOT_FOUND
    got = data.query("conversationParticipants", "get", ALICE, id=joined)
    assert got["clerkId"] == BOB


def test_a_malformed_id_or_one_of_another_table_is_absent(data: Data) -> None:
    mine = data.insert("conversations", ALICE, conversation())
    assert data.query("messages", "get", ALICE, id=mine) is None
    assert data.query("conversations", "get", ALICE, id="not an id") is None
    assert data.refused("conversations", "patch", ALICE, id="nope", fields={}) == NOT_FOUND


def test_search_of_messages_sees_only_the_owners(data: Data) -> None:
    mine = data.insert("conversations", ALICE, conversation())
    bobs = data.insert("conversations", BOB, conversation())
    data.insert("messages", ALICE, message(mine, content="the red fox"))
    data.insert("messages", BOB, message(bobs, content="the red car"))
    hits = data.query("messages", "search", ALICE, index="search_content", query="red", limit=10)
    assert [h["content"] for h in hits] == ["the red fox"]
    in_his = data.query("messages", "search", ALICE, index="search_content", query="red",
                        eq={"conversationId": bobs}, limit=10)  # fmt: skip
    assert in_his == []
    assert data.refused("messages", "search", ALICE, index="search_content", query="red",
                        eq={"userId": BOB}, limit=10) == INVALID_ARGUMENT  # fmt: skip


def note(**fields: object) -> dict[str, object]:
    return {"title": "Groceries", "content": "milk", "createdAt": 1.0, "updatedAt": 1.0, **fields}
