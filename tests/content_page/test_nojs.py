"""Without JavaScript every flow works by plain forms: POST with the CSRF token, then a
redirect to the page with a message (post/redirect/get); a POST without the token is refused."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.content_page.helpers import docs_of, op_of, text_of
from tests.fixtures.emulator import EmulatorDeployment
from tests.fixtures.people import client_for


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_a_post_without_the_csrf_token_writes_nothing(
    alice: User, main_deployment: EmulatorDeployment
) -> None:
    browser = client_for(alice, csrf=True)
    page = text_of(browser.get(reverse("content:index")))
    sent = {"op": op_of(page, "new-conversation"), "title": "Forged"}
    assert browser.post(reverse("content:create"), sent).status_code == 403
    assert docs_of(main_deployment, "conversations", alice) == []
    sent["csrfmiddlewaretoken"] = csrf_of(page)
    assert browser.post(reverse("content:create"), sent).status_code == 302
    assert [c["title"] for c in docs_of(main_deployment, "conversations", alice)] == ["Forged"]


def test_the_whole_flow_by_plain_forms(
    as_alice: Client, alice: User, main_deployment: EmulatorDeployment
) -> None:
    page = text_of(as_alice.get(reverse("content:index")))
    assert 'action="/content/new/"' in page and 'method="post"' in page
    made = as_alice.post(
        reverse("content:create"),
        {"op": op_of(page, "new-conversation"), "title": "Plain", "content": "no script"},
        follow=True,
    )
    html = text_of(made)
    assert made.redirect_chain[-1][1] == 302
    assert "Conversation started." in html and "no script" in html
    conv_id = made.redirect_chain[-1][0].rstrip("/").rsplit("/", 1)[1]
    written = as_alice.post(
        reverse("content:write", args=[conv_id]),
        {"op": op_of(html, "write-form"), "content": "second line"},
        follow=True,
    )
    assert "Message saved." in text_of(written) and "second line" in text_of(written)
    # "Earlier", "Older" and the filters are links: they work without JavaScript too.
    assert 'href="/content/?show=archived"' in text_of(as_alice.get(reverse("content:index")))
    confirm = text_of(as_alice.get(reverse("content:delete", args=[conv_id])))
    gone = as_alice.post(
        reverse("content:delete", args=[conv_id]),
        {"op": op_of(confirm, "delete-form")},
        follow=True,
    )
    assert "Deleted the conversation and 2 documents with it." in text_of(gone)
    assert docs_of(main_deployment, "messages", alice) == []
    # The same delete sent again (a double click) removes nothing more and says it is gone.
    again = as_alice.post(
        reverse("content:delete", args=[conv_id]), {"op": op_of(confirm, "delete-form")}
    )
    assert again.status_code == 302


def test_the_content_page_needs_a_login(anonymous_client: Client) -> None:
    for url in (reverse("content:index"), reverse("content:notes")):
        answer = anonymous_client.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")
        assert "next=" + url.replace("/", "%2F") in answer["Location"]
    posted = anonymous_client.post(reverse("content:create"), {"title": "x"})
    assert posted.status_code == 302 and "/accounts/login/" in posted["Location"]
