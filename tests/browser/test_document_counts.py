"""Counting documents as a person does it: the click queues the count on a real worker, the panel
shows that it is counting, then each table's count and the total; screenshots and axe at
1280 and 390 px for each state."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from byod.models import Connection
from tests.browser.checks import check_state
from tests.browser.fixtures import log_in
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = [pytest.mark.browser]


def test_count_documents_runs_on_the_worker_and_the_panel_shows_the_counts(
    browser_page: Any,
    live_server: Any,
    owner: User,
    deployed_connection: Connection,
    canary_deployment: EmulatorDeployment,
    task_worker: Any,
) -> None:
    canary_deployment.insert_many("tags", [{"name": f"tag {i}"} for i in range(1234)])
    canary_deployment.insert_many("notes", [{"title": f"note {i}"} for i in range(56)])
    # Each call waits a little, so the "counting" state stays long enough to be seen.
    canary_deployment.set_fault("query", latency_ms=150)
    page = browser_page
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/database/")
    assert "Not counted yet." in page.inner_text("#byod-counts")
    check_state(page, "40-contents-not-counted")

    page.click("#byod-counts >> text=Count documents")
    page.wait_for_selector("#byod-counts[data-counting=yes] .counting")
    assert page.is_disabled("#byod-counts button")
    check_state(page, "41-contents-counting")

    page.wait_for_selector("#byod-counts[data-counting=no] .counted-at", timeout=30_000)
    panel = page.inner_text("#byod-counts")
    assert "1,291 documents in 32 tables." in panel  # 1,234 tags, 56 notes, our version record
    assert "(just now)" in panel
    assert page.is_visible("#byod-counts .counts-table")  # the finished count opens the list
    tags = page.inner_text("#byod-counts tr:has(code:text-is('tags')) td.count")
    assert tags == "1,234"
    assert page.inner_text("#byod-counts tfoot td.count") == "1,291"
    assert page.is_enabled("#byod-counts button")
    assert_no_canary(page.content())
    check_state(page, "42-contents-counted")
