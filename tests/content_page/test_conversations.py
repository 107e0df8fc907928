"""The conversations: listed newest first with a pinned section and an archived filter, one
conversation's messages, rename, pin, archive, delete. Two users share the main deployment
and never see or change each other's."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.content_page.helpers import HTMX, docs_of, op_of, start_conversation, text_of
from tests.fixtures.emulator import EmulatorDeployment


def test_it_starts_a_conversation_with_its_first_message(
    as_alice: Client, alice: User, main_deployment: EmulatorDeployment
) -> None:
    conv_id = start_conversation(as_alice, "Trip to Lisbon", "Which museums open on Monday?")
    [conv] = docs_of(main_deployment, "conversations", alice)
    assert conv["_id"] == conv_id and conv["title"] == "Trip to Lisbon"
    assert conv["isPinned"] is False and conv["isArchived"] is False
    [message] = docs_of(main_deployment, "messages", alice)
    assert message["conversationId"] == conv_id and message["role"] == "user"
    page = text_of(as_alice.get(reverse("content:conversation", args=[conv_id])))
    assert "Trip to Lisbon" in page and "Which museums open on Monday?" in page
    assert "Trip to Lisbon" in text_of(as_alice.get(reverse("content:index")))


def test_a_user_never_sees_or_changes_another_users_conversation(
    as_alice: Client, as_bob: Client, alice: User, main_deployment: EmulatorDeployment
) -> None:
    conv_id = start_conversation(as_alice, "Alice's secret plan", "only for me")
    assert "Alice&#x27;s secret plan" not in text_of(as_bob.get(reverse("content:index")))
    assert "No conversations yet" in text_of(as_bob.get(reverse("content:index")))
    shown = as_bob.get(reverse("content:conversation", args=[conv_id]))
    assert shown.status_code == 404 and "only for me" not in text_of(shown)

    page = text_of(as_alice.get(reverse("content:conversation", args=[conv_id])))
    for name, data in [
        ("content:rename", {"op": op_of(page, "rename-form"), "title": "Bob was here"}),
        ("content:pin", {"op": op_of(page, "pin-form"), "on": "True"}),
        ("content:archive", {"op": op_of(page, "archive-form"), "on": "True"}),
        ("content:write", {"op": op_of(page, "write-form"), "content": "from Bob"}),
        ("content:delete", {"op": op_of(page, "write-form")[::-1]}),
    ]:
        answer = as_bob.post(reverse(name, args=[conv_id]), data)
        assert answer.status_code == 302 and answer["Location"] == reverse("content:index"), name
    [conv] = docs_of(main_deployment, "conversations", alice)
    assert conv["title"] == "Alice's secret plan"
    assert conv["isPinned"] is False and conv["isArchived"] is False
    assert [m["content"] for m in main_deployment.documents("messages")] == ["only for me"]


def test_pinned_ones_come_first_and_archived_ones_behind_the_filter(
    as_alice: Client, main_deployment: EmulatorDeployment
) -> None:
    pinned = start_conversation(as_alice, "Pinned one")
    archived = start_conversation(as_alice, "Archived one")
    start_conversation(as_alice, "Plain one")
    flags = [(pinned, "content:pin", "pin-form"), (archived, "content:archive", "archive-form")]
    for conv_id, action, form_id in flags:
        page = text_of(as_alice.get(reverse("content:conversation", args=[conv_id])))
        answer = as_alice.post(
            reverse(action, args=[conv_id]), {"op": op_of(page, form_id), "on": "True"}
        )
        assert answer.status_code == 302
    front = text_of(as_alice.get(reverse("content:index")))
    pinned_at, recent_at = front.index("<h2>Pinned</h2>"), front.index("<h2>Recent</h2>")
    assert pinned_at < front.index("Pinned one") < recent_at < front.index("Plain one")
    assert "Archived one" not in front
    behind = text_of(as_alice.get(reverse("content:index") + "?show=archived"))
    assert "Archived one" in behind and "Plain one" not in behind


def test_rename_then_delete_takes_its_messages_along(
    as_alice: Client, alice: User, main_deployment: EmulatorDeployment
) -> None:
    conv_id = start_conversation(as_alice, "Draft", "first")
    keep = start_conversation(as_alice, "Keep", "stays")
    page = text_of(as_alice.get(reverse("content:conversation", args=[conv_id])))
    renamed = as_alice.post(
        reverse("content:rename", args=[conv_id]),
        {"op": op_of(page, "rename-form"), "title": "Final"},
        **HTMX,
    )
    assert renamed.status_code == 200 and "Renamed." in text_of(renamed)
    assert renamed["HX-Retarget"] == "#content-main"
    assert "Final" in text_of(renamed)
    confirm = text_of(as_alice.get(reverse("content:delete", args=[conv_id])))
    deleted = as_alice.post(
        reverse("content:delete", args=[conv_id]), {"op": op_of(confirm, "delete-form")}
    )
    assert deleted.status_code == 302
    assert [c["_id"] for c in docs_of(main_deployment, "conversations", alice)] == [keep]
    assert [m["content"] for m in docs_of(main_deployment, "messages", alice)] == ["stays"]
    assert as_alice.get(reverse("content:conversation", args=[conv_id])).status_code == 404


def test_deleting_a_conversation_removes_what_hangs_off_its_messages(
    as_alice: Client, alice: User, main_deployment: EmulatorDeployment
) -> None:
    conv_id = start_conversation(as_alice, "With tool calls", "look this up")
    [message] = docs_of(main_deployment, "messages", alice)
    for n in range(3):
        main_deployment.insert(
            "toolCalls",
            {"messageId": message["_id"], "toolName": f"search{n}", "toolArgs": {"q": n},
             "status": "complete", "createdAt": 1.0},
        )  # fmt: skip
    main_deployment.insert(
        "sources",
        {"messageId": message["_id"], "url": "https://example.com", "createdAt": 1.0},
    )
    confirm = text_of(as_alice.get(reverse("content:delete", args=[conv_id])))
    deleted = as_alice.post(
        reverse("content:delete", args=[conv_id]), {"op": op_of(confirm, "delete-form")}, **HTMX
    )
    assert "Deleted the conversation and 5 documents with it." in text_of(deleted)
    assert deleted["HX-Push-Url"] == reverse("content:index")
    for table in ("conversations", "messages", "toolCalls", "sources"):
        assert main_deployment.documents(table) == [], table


def test_the_settings_page_links_the_content_page(owner_client: Client) -> None:
    page = text_of(owner_client.get(reverse("byod:settings")))
    assert f'href="{reverse("content:index")}"' in page
