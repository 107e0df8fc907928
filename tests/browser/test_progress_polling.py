"""The progress panel in a real browser: it updates itself every second, swaps in the final
state when the deploy ends, and then stops polling, without reloading the page.

The deploy is driven step by step through ``byod.transitions`` from a thread (standing in for
the worker), so each step can be seen; the full flow with a real worker is in
test_settings_flow.py."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection as db_connection

from accounts.models import User
from byod import transitions
from byod.errors import ConvexError
from byod.models import Deployment
from tests.browser.fixtures import log_in, screenshot
from tests.fixtures.connections import make_connection

pytestmark = [pytest.mark.browser]


def drive(deployment_id: int, failure: str | None) -> None:
    try:
        deployment = Deployment.objects.get(pk=deployment_id)
        time.sleep(1.5)
        transitions.mark_deploy_running(deployment)
        for ready in range(4):
            transitions.save_progress(
                deployment, phase="waiting for indexes", indexes_ready=ready, indexes_total=3
            )
            time.sleep(1)
        if failure:
            error = ConvexError(failure, f"{failure}: test detail")
            transitions.save_progress(deployment, log_line=f"failed: {error.detail}")
            transitions.mark_deploy_failed(
                deployment, category=failure, message=error.user_message, retryable=True
            )
        else:
            transitions.mark_deploy_succeeded(deployment)
    finally:
        db_connection.close()


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

    worker = threading.Thread(target=drive, args=(deployment.pk, failure))
    worker.start()
    try:
        page.wait_for_selector("#byod-progress .indexes:has-text('1 of 3 ready')", timeout=20_000)
        if failure is None:
            screenshot(page, "11-progress-indexes")
        final = "error" if failure else "connected"
        page.wait_for_selector(f'#byod-state[data-state="{final}"]', timeout=20_000)
    finally:
        worker.join()
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
    page.wait_for_timeout(2500)
    assert len(polls) == seen, "polling must stop once the deploy has ended"
