"""How the chat product uses the data plane, checked by mypy --strict (test_types.py).

Not a test module: mypy reads it, nothing runs it.
"""

from __future__ import annotations

from byod.data import Page, Store
from byod.data.tables.conversations import ConversationsDoc, ConversationsNew
from byod.data.tables.messages import MessagesDoc


def recent_titles(store: Store) -> list[str]:
    page: Page[ConversationsDoc] = store.conversations.page(
        "by_user_last_message", order="desc", limit=20
    )
    return [doc.get("title", "(untitled)") for doc in page.items]


def start(store: Store, now: float) -> str:
    new: ConversationsNew = {
        "title": "Hi",
        "isArchived": False,
        "isPinned": False,
        "createdAt": now,
        "updatedAt": now,
    }
    conversation_id: str = store.conversations.insert(new)
    store.conversations.patch(conversation_id, {"title": "Renamed"}, unset=("model",))
    return conversation_id


def roles(store: Store, conversation_id: str) -> list[str]:
    pages = store.snapshot(
        {
            "messages": store.messages.page_query(
                "by_conversation", eq={"conversationId": conversation_id}
            )
        }
    )
    found: list[MessagesDoc] = pages["messages"].items
    return [m["role"] for m in found]
