"""The data plane against the package's own data functions, deployed to an emulated main
deployment holding two users' content (runs once the package has data functions)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY

from accounts.models import User
from byod import package
from byod.data import DATA_FUNCTIONS_SINCE, Store, store_for
from byod.data.errors import DataError
from byod.data.tables.conversations import ConversationsNew
from byod.data.tables.messages import MessagesNew
from byod.data.tables.notes import NotesNew
from byod.errors import INVALID_INPUT, NOT_FOUND, OVERLOADED
from byod.keys import seal_deploy_key
from byod.models import Connection, ContentLocation
from tests.fixtures.emulator import EmulatorDeployment
from tests.fixtures.people import make_user

pytestmark = pytest.mark.skipif(
    package.current_version() < DATA_FUNCTIONS_SINCE,
    reason="the package has no data functions yet",
)


@pytest.fixture
def main(
    deployed_connection: Connection, owner: User, canary_deployment: EmulatorDeployment
) -> Connection:
    """The deployed canary deployment as the main deployment (owned by a system user); the
    owner's content and everyone else's is there."""
    system = make_user("main-system")
    sealed = seal_deploy_key(canary_deployment.admin_key, owner=system.external_id)
    Connection.objects.filter(pk=deployed_connection.pk).update(
        is_main=True, user=system, key_ciphertext=sealed.ciphertext, key_id=sealed.key_id
    )
    ContentLocation.objects.filter(user=owner).delete()
    deployed_connection.refresh_from_db()
    return deployed_connection


def conversation(now: float = 1.0, title: str = "Hello") -> ConversationsNew:
    return {
        "title": title,
        "isArchived": False,
        "isPinned": False,
        "createdAt": now,
        "updatedAt": now,
        "lastMessageAt": now,
    }


def note(title: str = "A note") -> NotesNew:
    return {"title": title, "content": "text", "createdAt": 1.0, "updatedAt": 1.0}


def message(conversation_id: str, text: str = "hi") -> MessagesNew:
    return {
        "conversationId": conversation_id,
        "role": "user",
        "content": text,
        "createdAt": 1.0,
        "updatedAt": 1.0,
    }


def refused(call: Callable[[], Any]) -> str:
    with pytest.raises(DataError) as caught:
        call()
    return caught.value.category


def test_a_never_reads_changes_or_removes_bs_documents(
    main: Connection, owner: User, other_user: User
) -> None:
    a, b = store_for(owner), store_for(other_user)
    assert a.location.connection.pk == b.location.connection.pk == main.pk
    conv = a.conversations.insert(conversation(title="A's"))
    said = a.messages.insert(message(conv, "A's secret"))
    memo = a.notes.insert(note("A's note"))
    for repository, doc_id in [(b.conversations, conv), (b.messages, said), (b.notes, memo)]:
        assert repository.get(doc_id) is None
        assert refused(lambda r=repository, i=doc_id: r.patch(i, {"updatedAt": 9.0})) == NOT_FOUND
        assert refused(lambda r=repository, i=doc_id: r.remove(i)) == NOT_FOUND
    # Through a parent: B cannot page A's conversation's messages nor hang a message on it.
    page = lambda: b.messages.page("by_conversation", eq={"conversationId": conv})  # noqa: E731
    assert refused(page) == NOT_FOUND
    assert refused(lambda: b.messages.insert(message(conv, "B's"))) == NOT_FOUND
    assert b.conversations.page("by_user_last_message").items == []
    assert b.conversations.search("search_title", "A's", limit=10) == []
    # A's documents are as A wrote them.
    found = a.conversations.get(conv)
    assert (
        found is not None and found["title"] == "A's" and found["userId"] == str(owner.external_id)
    )
    assert [
        m["content"] for m in a.messages.page("by_conversation", eq={"conversationId": conv}).items
    ] == ["A's secret"]


def test_pages_follow_their_cursor_and_refuse_anothers(
    main: Connection, owner: User, other_user: User
) -> None:
    a, b = store_for(owner), store_for(other_user)
    ids = [a.notes.insert(note(f"n{i}")) for i in range(5)]
    first = a.notes.page("by_user", limit=3)
    assert len(first.items) == 3 and first.next_cursor is not None
    second = a.notes.page("by_user", limit=3, cursor=first.next_cursor)
    assert second.next_cursor is None
    assert [n["_id"] for n in first.items + second.items] == ids
    assert refused(lambda: a.notes.page("by_user", order="desc", cursor=first.next_cursor)) == (
        INVALID_INPUT
    )
    b.notes.insert(note())
    assert refused(lambda: b.notes.page("by_user", limit=3, cursor=first.next_cursor)) == (
        INVALID_INPUT
    )


def test_a_snapshot_reads_several_pages_in_one_call(
    main: Connection, owner: User, canary_deployment: EmulatorDeployment
) -> None:
    store = store_for(owner)
    pinned = store.conversations.insert({**conversation(), "isPinned": True})
    store.conversations.insert(conversation(2.0, "recent"))
    canary_deployment.reset_calls()
    with CaptureQueriesContext(db) as queries:
        pages = store.snapshot(
            {
                "pinned": store.conversations.page_query("by_user_pinned", eq={"isPinned": True}),
                "recent": store.conversations.page_query("by_user_last_message", order="desc"),
            }
        )
    calls = canary_deployment.calls()
    assert calls["requests"] == 1
    assert len(queries) == 0  # the location was read once, by store_for
    assert [c["_id"] for c in pages["pinned"].items] == [pinned]
    assert [c["title"] for c in pages["recent"].items] == ["recent", "Hello"]


def test_a_dropped_answer_after_a_committed_insert_leaves_one_document(
    main: Connection, owner: User, canary_deployment: EmulatorDeployment
) -> None:
    store = store_for(owner)
    canary_deployment.set_fault("/api/mutation", drop_after_commit=True, times=1)
    canary_deployment.reset_calls()
    made = store.notes.insert(note("once"))
    assert canary_deployment.calls()["functions"] == {"mutation data/notes:insert": 2}
    titles = [n["title"] for n in store.notes.page("by_user").items]
    assert titles == ["once"]
    assert store.notes.get(made) is not None


def test_removing_a_conversation_removes_its_messages_and_their_children(
    main: Connection, owner: User
) -> None:
    store: Store = store_for(owner)
    conv = store.conversations.insert(conversation())
    said = [store.messages.insert(message(conv, f"m{i}")) for i in range(3)]
    store.tool_calls.insert(
        {
            "messageId": said[0],
            "toolName": "t",
            "toolArgs": {"a": 1},
            "status": "complete",
            "createdAt": 1.0,
        }
    )
    assert store.conversations.remove(conv) == 5
    assert store.conversations.get(conv) is None
    assert all(store.messages.get(m) is None for m in said)


def test_values_come_back_as_they_were_written(main: Connection, owner: User) -> None:
    store = store_for(owner)
    conv = store.conversations.insert(conversation())
    made = store.messages.insert(
        {
            **message(conv),
            "metadata": {"big": 2**53, "raw": b"\x00\x01", "nested": [1.5, None, True]},
        }
    )
    found = store.messages.get(made)
    assert found is not None
    assert found["metadata"] == {
        "big": float(2**53),
        "raw": b"\x00\x01",
        "nested": [1.5, None, True],
    }
    store.messages.patch(made, {"content": "edited"}, unset=("metadata",))
    again = store.messages.get(made)
    assert again is not None and again["content"] == "edited" and "metadata" not in again


def test_a_read_is_tried_again_after_the_deployment_was_overloaded(
    main: Connection, owner: User, canary_deployment: EmulatorDeployment
) -> None:
    store = store_for(owner)
    made = store.notes.insert(note("busy"))
    canary_deployment.set_fault("/api/query", overloaded=True, times=1)
    labels = {"operation": "query", "purpose": "data_web", "category": OVERLOADED}
    before = REGISTRY.get_sample_value("byod_convex_calls_total", labels) or 0.0
    found = store.notes.get(made)
    assert found is not None and found["title"] == "busy"
    assert REGISTRY.get_sample_value("byod_convex_calls_total", labels) == before + 1
