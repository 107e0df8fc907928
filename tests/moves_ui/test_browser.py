"""The disconnect choices and a move's progress in a real browser, at 1280 and 390 px: axe
finds no serious violation, nothing scrolls sideways, no console error and no CSP violation;
the progress updates itself, then the result is swapped in and polling stops. The test writes
the move's steps through `byod.transitions` (standing in for the worker, see
test_workers.py for the real one), each once the page has shown the previous one."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from byod import transitions
from byod.models import ContentLocation, LocationKind, Move, MovePhase
from tests.browser.checks import check_state
from tests.browser.fixtures import log_in
from tests.moves.helpers import main_and_own

pytestmark = [pytest.mark.browser]
STEP_TIMEOUT_MS = 20_000


def console_errors(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.append(str(e)))
    return seen


def test_disconnect_choices_then_a_bring_back_in_progress(
    browser_page: Any, live_server: Any, owner: User
) -> None:
    _, own = main_and_own(owner, version=4)
    ContentLocation.objects.create(
        user=owner, connection=own, kind=LocationKind.OWN, changed_at=timezone.now()
    )
    page, base = browser_page, live_server.url
    errors = console_errors(page)
    log_in(page, base, owner)
    page.goto(f"{base}/database/")
    page.click("a:has-text('Disconnect')")
    page.wait_for_selector("form.disconnect-choices")
    assert page.title().startswith("Disconnect")
    check_state(page, "moves-01-disconnect-choices")

    # A delete without the typed name: refused, said, and the focus on what was said.
    page.check("#choice-delete")
    page.click("form.disconnect-choices button[type=submit]")
    page.wait_for_selector("#disconnect-error")
    assert "Nothing was deleted" in page.inner_text("#disconnect-error")
    assert page.evaluate("document.activeElement.id") == "disconnect-error"
    assert not Move.objects.exists()
    check_state(page, "moves-02-delete-refused")

    # Bring back: the move starts, the page shows its progress and polls.
    page.evaluate("window.__noReload = true")
    page.check("#choice-back")
    page.click("form.disconnect-choices button[type=submit]")
    page.wait_for_selector("#move-status[data-move=queued]", timeout=STEP_TIMEOUT_MS)
    move = Move.objects.get()
    transitions.move_running(move, worker="w-test")
    # The copy goes on while the source is counted: no total, no percentage yet.
    move.tables = {"messages": {"copied": 1000}, "notes": {"copied": 0, "source_count": 0}}
    transitions.save_move_progress(move, phase=MovePhase.COPYING, table="messages")
    page.wait_for_selector(
        "#move-status li:has-text('messages, 1,000 (counting)')", timeout=STEP_TIMEOUT_MS
    )
    assert page.locator("#move-status progress").count() == 0
    assert "notes" not in page.inner_text("#move-status")  # holds nothing: not listed
    check_state(page, "moves-03-counting")
    for done in (0, 4200):
        move.tables = {"messages": {"copied": done, "source_count": 10000}}
        transitions.save_move_progress(move, phase=MovePhase.COPYING, table="messages")
        page.wait_for_selector(
            f"#move-status .move-headline:has-text('messages, {done:,} of 10,000')",
            timeout=STEP_TIMEOUT_MS,
        )
    check_state(page, "moves-04-moving-back")

    transitions.move_verifying(move)
    transitions.move_done(move, keep_days=7)
    page.wait_for_selector("#move-status[data-move=done]", timeout=STEP_TIMEOUT_MS)
    assert "in the main deployment again" in page.inner_text("#move-status")
    assert page.locator("[data-state=not_connected]").count() == 1  # the key is erased now
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/database/move/" in r.url else None)
    page.wait_for_timeout(2500)
    assert polls == []  # polling stopped
    assert page.evaluate("window.__noReload") is True  # swapped, not reloaded
    check_state(page, "moves-05-brought-back")
    assert errors == [], errors
