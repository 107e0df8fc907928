"""Writing a message and reading them page by page; a double submit writes once."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.content_page.helpers import HTMX, docs_of, op_of, start_conversation, text_of
from tests.fixtures.emulator import EmulatorDeployment


def test_a_double_submit_of_a_message_writes_it_once(
    as_alice: Client, alice: User, main_deployment: EmulatorDeployment
) -> None:
    conv_id = start_conversation(as_alice, "Twice")
    page = text_of(as_alice.get(reverse("content:conversation", args=[conv_id])))
    sent = {"op": op_of(page, "write-form"), "content": "hello once"}
    first = as_alice.post(reverse("content:write", args=[conv_id]), sent)
    again = as_alice.post(reverse("content:write", args=[conv_id]), sent)
    assert first.status_code == again.status_code == 302
    assert [m["content"] for m in docs_of(main_deployment, "messages", alice)] == ["hello once"]
    # A fresh render is a new operation: the same text sent from it is a second message.
    page = text_of(as_alice.get(reverse("content:conversation", args=[conv_id])))
    assert op_of(page, "write-form") != sent["op"]


def test_writing_with_htmx_answers_the_conversation_with_the_message(
    as_alice: Client, main_deployment: EmulatorDeployment
) -> None:
    conv_id = start_conversation(as_alice, "Swap")
    page = text_of(as_alice.get(reverse("content:conversation", args=[conv_id])))
    answer = as_alice.post(
        reverse("content:write", args=[conv_id]),
        {"op": op_of(page, "write-form"), "content": "swapped in"},
        **HTMX,
    )
    assert answer.status_code == 200
    assert answer["HX-Retarget"] == "#content-main" and answer["HX-Push-Url"].endswith(
        f"/content/c/{conv_id}/"
    )
    body = text_of(answer)
    assert "swapped in" in body and "Message saved." in body and "<html" not in body


def test_an_empty_message_is_refused_at_its_field(
    as_alice: Client, main_deployment: EmulatorDeployment
) -> None:
    conv_id = start_conversation(as_alice, "Empty")
    page = text_of(as_alice.get(reverse("content:conversation", args=[conv_id])))
    answer = as_alice.post(
        reverse("content:write", args=[conv_id]), {"op": op_of(page, "write-form"), "content": ""}
    )
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in text_of(answer)


def test_messages_page_back_from_the_newest(
    as_alice: Client, alice: User, main_deployment: EmulatorDeployment
) -> None:
    conv_id = start_conversation(as_alice, "Long one")
    main_deployment.insert_many(
        "messages",
        [
            {
                "conversationId": conv_id,
                "userId": str(alice.external_id),
                "role": "user" if n % 2 == 0 else "assistant",
                "content": f"message number {n:02d}",
                "createdAt": 1_765_000_000_000 + n,
                "updatedAt": 1_765_000_000_000 + n,
            }
            for n in range(25)
        ],
    )
    url = reverse("content:conversation", args=[conv_id])
    newest = text_of(as_alice.get(url))
    shown = re.findall(r"message number (\d\d)", newest)
    assert shown == [f"{n:02d}" for n in range(5, 25)]  # oldest to newest on the page
    earlier = re.search(r'href="\?cursor=([^"#]+)#messages"[^>]*>Earlier messages', newest)
    assert earlier, "a link to the earlier messages"
    older = text_of(as_alice.get(f"{url}?cursor={earlier.group(1)}"))
    assert re.findall(r"message number (\d\d)", older) == [f"{n:02d}" for n in range(5)]
    assert "Latest messages" in older


def test_paging_by_htmx_answers_the_page_section_and_a_bad_cursor_starts_over(
    as_alice: Client, alice: User, main_deployment: EmulatorDeployment
) -> None:
    conv_id = start_conversation(as_alice, "Paged by htmx")
    main_deployment.insert_many(
        "messages",
        [
            {
                "conversationId": conv_id,
                "userId": str(alice.external_id),
                "role": "user",
                "content": f"line {n:02d}",
                "createdAt": 1_765_000_000_000 + n,
                "updatedAt": 1_765_000_000_000 + n,
            }
            for n in range(22)
        ],
    )
    url = reverse("content:conversation", args=[conv_id])
    earlier = re.search(r'hx-get="\?cursor=([^"#]+)#messages"', text_of(as_alice.get(url)))
    assert earlier
    swapped = as_alice.get(f"{url}?cursor={earlier.group(1)}", **HTMX)
    assert swapped["HX-Retarget"] == "#content-main" and "<html" not in text_of(swapped)
    assert re.findall(r"line (\d\d)", text_of(swapped)) == ["00", "01"]
    # A cursor that is not one of ours (altered, or from another deployment): the first page.
    forged = as_alice.get(f"{url}?cursor=not-a-cursor")
    assert forged.status_code == 302 and forged["Location"] == url
    assert as_alice.get(f"{url}?cursor=not-a-cursor", **HTMX)["HX-Redirect"] == url
