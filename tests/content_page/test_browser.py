"""The content page in a real browser (Chromium), at 1280 and 390 px: every state fits without
sideways scrolling and passes axe (tests/browser/checks.py), the htmx swaps work and put the
focus on their answer, the page logs no console error and no CSP violation, and the blocker
panel keeps what was typed."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from tests.browser.checks import check_state
from tests.browser.fixtures import log_in
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = [pytest.mark.browser]

FOCUSED_ID = "document.activeElement ? document.activeElement.id : ''"


def console_errors(page: Any) -> list[str]:
    """The console's errors and uncaught exceptions from now on, by URL. Two are expected and
    left out: the blocked page's own status (503: it says the deployment cannot be used) and
    Chromium's request for /favicon.ico beside such an error page."""
    seen: list[str] = []

    def note(message: Any) -> None:
        url = str(message.location.get("url", ""))
        if message.type == "error" and not url.endswith("/favicon.ico"):
            if not ("status of 503" in message.text and url.endswith("/content/")):
                seen.append(f"{message.text} ({url})")

    page.on("console", note)
    page.on("pageerror", lambda e: seen.append(str(e)))
    return seen


def test_the_content_page_at_390px_with_axe_and_no_console_errors(
    browser_page: Any, live_server: Any, alice: User, main_deployment: EmulatorDeployment
) -> None:
    page, base = browser_page, live_server.url
    errors = console_errors(page)
    log_in(page, base, alice)
    page.goto(f"{base}/database/")
    page.click("nav >> text=Content")
    page.wait_for_selector("text=No conversations yet")
    assert page.title().startswith("Conversations")
    check_state(page, "content-01-empty")

    # New conversation, by htmx: the conversation page comes back (a redirect htmx follows).
    page.fill("#new-conversation-title", "Weekend in Porto")
    page.fill("#new-conversation-content", "Where do we eat on Saturday?")
    page.click("#new-conversation button[type=submit]")
    page.wait_for_selector("#conversation-title")
    assert "Where do we eat on Saturday?" in page.inner_text("#messages")
    page.fill("#write-form-content", "And on Sunday?")
    page.click("#write-form button[type=submit]")
    page.wait_for_selector("#content-notice:has-text('Message saved.')")
    assert "And on Sunday?" in page.inner_text("#messages")
    assert page.evaluate(FOCUSED_ID) == "content-notice"
    page.click("#pin-form button")
    page.wait_for_selector("#content-notice:has-text('Pinned.')")
    check_state(page, "content-02-conversation")

    page.click("text=← Your conversations")
    page.wait_for_selector(".pinned >> text=Weekend in Porto")
    check_state(page, "content-03-list-pinned")

    page.click(".content-nav >> text=Notes")
    page.wait_for_selector("text=No notes yet")
    page.fill("#note-form-title", "Packing list")
    page.fill("#note-form-content", "- passport\n- charger")
    page.click("#note-form button[type=submit]")
    page.wait_for_selector("#note-list >> text=Packing list")
    check_state(page, "content-04-notes")

    # The deployment stops answering: the typed message stays, in the form, beside the panel.
    page.click(".content-nav >> text=Conversations")
    page.click("text=Weekend in Porto")
    page.wait_for_selector("#write-form")
    main_deployment.set_state("paused")
    page.fill("#write-form-content", "This must not be lost")
    page.click("#write-form button[type=submit]")
    page.wait_for_selector("#write-form .blocker")
    assert page.input_value("#write-form-content") == "This must not be lost"
    assert "paused" in page.inner_text("#write-form .blocker").lower()
    assert page.evaluate(
        "() => document.querySelector('#write-form .blocker').contains(document.activeElement)"
    )
    check_state(page, "content-05-blocked-form")
    page.goto(f"{base}/content/")
    page.wait_for_selector(".blocker")
    check_state(page, "content-06-blocked-page")
    assert errors == [], errors
