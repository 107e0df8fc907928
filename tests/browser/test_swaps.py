"""After an htmx swap a person started, keyboard focus is on its answer (not dropped to the
page's body), and no swap makes the browser report a Content-Security-Policy violation."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from byod.models import Connection
from tests.browser.fixtures import log_in
from tests.browser.test_csp import watch_violations
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = [pytest.mark.browser]

FOCUSED = "document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : ''"


_FOCUS_WITHIN = (
    "(s) => { const a = document.activeElement, box = document.querySelector(s);"
    " return !!(a && box && a !== document.body && box.contains(a)); }"
)


def focused_within(page: Any, selector: str, wait_ms: int = 3_000) -> bool:
    """Whether focus is (or arrives, within `wait_ms`) inside `selector`. The page moves focus
    once htmx has settled the swap, a few milliseconds after the new content is in the DOM,
    so reading it the instant the content appears is a race."""
    try:
        page.wait_for_function(_FOCUS_WITHIN, arg=selector, timeout=wait_ms)
    except Exception:  # playwright's TimeoutError: focus never arrived
        return False
    return True


def test_check_connection_puts_focus_on_its_answer(
    browser_page: Any, live_server: Any, owner: User, canary_deployment: EmulatorDeployment
) -> None:
    page = browser_page
    violations = watch_violations(page)
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/database/")
    page.fill("#id_url", canary_deployment.url)
    page.fill("#id_deploy_key", canary_deployment.admin_key)
    # What a password manager does to the fields it fills (through the CSSOM, which CSP
    # allows): htmx used to copy such a style onto the swapped-in field as an attribute.
    page.evaluate("document.getElementById('id_url').style.outline = '2px solid orange'")
    page.focus("text=Check connection")
    page.keyboard.press("Enter")
    page.wait_for_selector("#connect-form .check-result")
    assert focused_within(page, "#connect-form .check-result"), page.evaluate(FOCUSED)
    # A failing check: focus goes to what failed.
    page.fill("#id_deploy_key", "not a key")
    page.focus("text=Check connection")
    page.keyboard.press("Enter")
    page.wait_for_selector("#connect-form .check-failed")
    assert focused_within(page, "#connect-form .check-failed"), page.evaluate(FOCUSED)
    assert violations == []


def test_count_documents_puts_focus_on_its_answer_and_polls_leave_it_alone(
    browser_page: Any,
    live_server: Any,
    owner: User,
    deployed_connection: Connection,
    task_worker: Any,
) -> None:
    page = browser_page
    violations = watch_violations(page)
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/database/")
    page.focus("#byod-counts >> text=Count documents")
    page.keyboard.press("Enter")
    page.wait_for_selector("#byod-counts[data-counting=yes] .counting")
    assert focused_within(page, "#byod-counts [role=status]"), page.evaluate(FOCUSED)
    page.wait_for_selector("#byod-counts[data-counting=no] .counted-at", timeout=30_000)
    # The polls that brought the counts in kept the focus on the answer, not the body.
    assert focused_within(page, "#byod-counts"), page.evaluate(FOCUSED)
    # Other swaps of the page: "Check now" and its polled panel.
    page.click("text=Check now")
    page.wait_for_selector("#byod-health .checking")
    page.wait_for_selector("#byod-health[data-health=healthy]", timeout=30_000)
    assert violations == []
