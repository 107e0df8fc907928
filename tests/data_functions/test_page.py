"""page: equality on a prefix of the index after the owner, a range on the next field, order,
Convex's cursors; and the arguments it refuses."""

from __future__ import annotations

from typing import Any

from byod.categories import INVALID_ARGUMENT
from tests.data_functions.conftest import ALICE, BOB, FIRST_PAGE, Data, conversation, message


def page(data: Data, owner: str, cursor: str | None = None, **args: Any) -> dict[str, Any]:
    args.setdefault("eq", {})
    args.setdefault("order", "asc")
    opts = {"numItems": args.pop("size", 100), "cursor": cursor}
    result: dict[str, Any] = data.query("conversations", "page", owner, paginationOpts=opts, **args)
    return result


def titles(result: dict[str, Any]) -> list[str]:
    return [d["title"] for d in result["page"]]


def test_it_pages_by_an_index_with_equality_range_and_order(data: Data) -> None:
    for n in range(1, 8):
        data.insert(
            "conversations",
            ALICE,
            conversation(title=f"c{n}", lastMessageAt=float(n), isPinned=n % 2 == 0),
        )
    data.insert("conversations", BOB, conversation(title="bob", lastMessageAt=4.0))

    newest = page(data, ALICE, index="by_user_last_message", order="desc")
    assert titles(newest) == ["c7", "c6", "c5", "c4", "c3", "c2", "c1"]
    assert newest["isDone"] is True
    pinned = page(data, ALICE, index="by_user_pinned", eq={"isPinned": True})
    assert titles(pinned) == ["c2", "c4", "c6"]
    between = page(
        data,
        ALICE,
        index="by_user_last_message",
        range={"field": "lastMessageAt", "gt": 2.0, "lte": 5.0},
    )
    assert titles(between) == ["c3", "c4", "c5"]


def test_cursors_walk_every_page_once(data: Data) -> None:
    for n in range(10):
        data.insert("conversations", ALICE, conversation(title=f"c{n}", lastMessageAt=float(n)))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        result = page(data, ALICE, cursor, index="by_user_last_message", size=3)
        seen += titles(result)
        pages += 1
        cursor = result["continueCursor"]
        if result["isDone"]:
            break
    assert seen == [f"c{n}" for n in range(10)]
    assert pages == 4


def test_it_pages_a_field_owned_table_through_an_owned_parent(data: Data) -> None:
    mine = data.insert("conversations", ALICE, conversation())
    for n in range(3):
        data.insert("messages", ALICE, message(mine, content=f"m{n}", createdAt=float(n)))
    result = data.query(
        "messages",
        "page",
        ALICE,
        index="by_conversation_created",
        eq={"conversationId": mine},
        range={"field": "createdAt", "gte": 1.0},
        order="desc",
        paginationOpts={"numItems": 10, "cursor": None},
    )
    assert [m["content"] for m in result["page"]] == ["m2", "m1"]
    assert data.refused("messages", "page", BOB, index="by_conversation_created",
                        eq={"conversationId": mine}, order="asc",
                        paginationOpts={"numItems": 10, "cursor": None}) == "not_found"  # fmt: skip


def test_it_refuses_what_no_index_serves(data: Data) -> None:
    def refused(**args: Any) -> str:
        args.setdefault("eq", {})
        return data.refused(
            "conversations",
            "page",
            ALICE,
            order="asc",
            paginationOpts={"numItems": 10, "cursor": None},
            **args,
        )

    assert refused(index="by_nothing") == INVALID_ARGUMENT
    # An equality that skips a field of the index, or a range not on the next field.
    assert refused(index="by_user", eq={"isPinned": True}) == INVALID_ARGUMENT
    assert refused(index="by_user_pinned", range={"field": "title", "gt": "a"}) == (
        INVALID_ARGUMENT
    )
    assert refused(index="by_user_pinned", range={"field": "isPinned", "gt": 1, "gte": 2}) == (
        INVALID_ARGUMENT
    )
    assert data.refused("messages", "page", ALICE, index="by_status", eq={}, order="asc",
                        paginationOpts=FIRST_PAGE) == INVALID_ARGUMENT  # fmt: skip
