"""The progress panel in a real browser: it updates itself every second, swaps in the final
state when the deploy ends, and then stops polling, without reloading the page.

The test stands in for the worker: it drives the deploy step by step through
``byod.transitions`` and writes each step only once the page has shown the previous one, so every
step is seen however slow the machine is. The full flow with a real worker is in
test_settings_flow.py."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from byod import transitions
from byod.errors import ConvexError
from byod.models import Deployment, DeployPhase
from tests.browser.fixtures import log_in, screenshot
from tests.fixtures.connections import make_connection

pytestmark = [pytest.mark.browser]
STEP_TIMEOUT_MS = 20_000


def finish(deployment: Deployment, failure: str | None) -> None:
    if failure:
        error = ConvexError(failure, f"{failure}: test detail")
        transitions.save_progress(deployment, log_line=f"failed: {error.detail}")
        transitions.mark_deploy_failed(
            deployment, category=failure, message=error.user_message, retryable=True
        )
    else:
        transitions.mark_deploy_succeeded(deployment)


@pytest.mark.parametrize("failure", [None, "timeout"])
def test_the_progress_panel_updates_itself_then_stops_polling(
    browser_page: Any, live_server: Any, owner: User, failure: str | None
) -> None:
    connection = make_connection(owner, deployed_version=None, status="pending")
    deployment = Deployment.objects.create(connection=connection, to_version=1, trigger="user")
    transitions.deploy_queued(deployment)
    page = browser_page
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/database/")
    page.evaluate("window.__noReload = true")
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/progress/" in r.url else None)

    transitions.mark_deploy_running(deployment)
    for ready in range(4):
        transitions.save_progress(
            deployment, phase=DeployPhase.BACKFILLING_INDEXES, indexes_ready=ready, indexes_total=3
        )
        page.wait_for_selector(
            f"#byod-progress .indexes:has-text('{ready} of 3 ready')", timeout=STEP_TIMEOUT_MS
        )
        if ready == 1 and failure is None:
            screenshot(page, "11-progress-indexes")
    finish(deployment, failure)
    final = "error" if failure else "connected"
    page.wait_for_selector(f'#byod-state[data-state="{final}"]', timeout=STEP_TIMEOUT_MS)

    assert page.evaluate("window.__noReload === true")
    if failure:
        assert "took too long to answer" in page.inner_text(".error-panel")
        assert page.is_visible("button:has-text('Retry now')")
        assert not page.is_visible("text=timeout: test detail")  # folded away
        page.click(".error-panel summary")
        assert page.is_visible("text=timeout: test detail")
        screenshot(page, "12-error-retryable")
    seen = len(polls)
    assert seen >= 3
    # No event marks "a poll that did not happen": let more than two poll periods (1 s) pass.
    # This wait cannot fail a correct page, however slow the machine.
    page.wait_for_timeout(2500)
    assert len(polls) == seen, "polling must stop once the deploy has ended"
