"""remove takes a document's children with it, within the transaction limits, over several calls."""

from __future__ import annotations

from tests.data_functions.conftest import ALICE, BOB, Data, conversation, message, tool_call

MESSAGES = 2500


def test_a_conversation_with_2500_messages_goes_in_several_calls(data: Data) -> None:
    mine = data.insert("conversations", ALICE, conversation())
    bobs = data.insert("conversations", BOB, conversation())
    his_message = data.insert("messages", BOB, message(bobs))
    messages = [{**message(mine), "userId": ALICE} for _ in range(MESSAGES)]
    message_ids = data.deployment.insert_many("messages", messages)
    data.deployment.insert_many("toolCalls", [tool_call(m) for m in message_ids])
    data.insert("toolCalls", BOB, tool_call(his_message))
    # Convex's own per-transaction limits hold on every call.
    data.deployment.set_transaction_limits(True)

    calls = []
    while True:
        result = data.mutation("conversations", "remove", ALICE, id=mine)
        calls.append(result)
        assert 0 < result["removed"] <= 1000
        if result["done"]:
            break
        assert len(calls) < 20
    assert sum(r["removed"] for r in calls) == 2 * MESSAGES + 1
    assert len(calls) >= 6
    assert data.query("conversations", "get", ALICE, id=mine) is None
    assert [m["_id"] for m in data.deployment.documents("messages")] == [his_message]
    assert [c["messageId"] for c in data.deployment.documents("toolCalls")] == [his_message]
    assert data.query("conversations", "get", BOB, id=bobs) is not None
    assert data.refused("conversations", "remove", ALICE, id=mine) == "not_found"


def test_removing_a_message_takes_its_children_and_leaves_optional_references(
    data: Data,
) -> None:
    mine = data.insert("conversations", ALICE, conversation())
    said = data.insert("messages", ALICE, message(mine))
    data.insert("toolCalls", ALICE, tool_call(said))
    data.insert("sources", ALICE, {"messageId": said, "url": "https://x.test", "createdAt": 1.0})
    memory = data.insert(
        "memories",
        ALICE,
        {"content": "likes tea", "sourceMessageId": said, "isActive": True, "createdAt": 1.0,
         "updatedAt": 1.0},
    )  # fmt: skip
    result = data.mutation("messages", "remove", ALICE, id=said)
    assert result == {"done": True, "removed": 3}
    assert data.deployment.documents("toolCalls") == []
    assert data.deployment.documents("sources") == []
    # An optional reference is left as it is: the memory stays, pointing to nothing.
    assert data.query("memories", "get", ALICE, id=memory)["sourceMessageId"] == said
    assert data.query("conversations", "get", ALICE, id=mine) is not None
