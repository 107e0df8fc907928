"""Data migrations in a real browser: the progress panel counts documents as batches land, and
the page then tells, in plain words, where a failed migration stopped.

Like test_progress_polling.py, the test stands in for the worker: it records each batch
through ``byod.transitions`` once the page has shown the previous one. The full flow with the
worker is in tests/migrations/."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from byod import transitions
from byod.models import Deployment, DeployPhase
from tests.browser.fixtures import log_in, screenshot
from tests.fixtures.connections import make_connection

pytestmark = [pytest.mark.browser]
STEP_TIMEOUT_MS = 20_000
TOTAL = 3000


def test_the_page_counts_migrated_documents_then_says_where_it_stopped(
    browser_page: Any, live_server: Any, owner: User
) -> None:
    connection = make_connection(owner, deployed_version=1)
    deployment = Deployment.objects.create(
        connection=connection, from_version=1, to_version=2, trigger="rollout"
    )
    transitions.deploy_queued(deployment)
    page = browser_page
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/database/")
    page.evaluate("window.__noReload = true")

    transitions.mark_deploy_running(deployment)
    transitions.save_progress(deployment, phase=DeployPhase.MIGRATING, detail="conversations")
    run = transitions.migration_started(
        connection,
        version=2,
        migration_id="conversation-flags",
        name="v2:conversation-flags",
        table="conversations",
        deployment=deployment,
        total=TOTAL,
    )
    for done in (0, 1200, 2400):
        if done:
            transitions.save_migration_progress(run, processed=done, changed=done)
        page.wait_for_selector(
            f"#byod-progress .migration:has-text('Migrating conversations: {done:,} of about "
            f"{TOTAL:,} documents')",
            timeout=STEP_TIMEOUT_MS,
        )
        if done == 1200:
            assert page.get_attribute("#byod-progress .migration progress", "value") == "1200"
            screenshot(page, "31-migration-progress")

    bad = "10042conversations"
    transitions.migration_failed(run, document_id=bad, message="Error: cannot read the title")
    transitions.mark_deploy_failed(
        deployment,
        category="migration_failed",
        message=f"Upgrading the documents of your table conversations stopped at document {bad}.",
    )
    page.wait_for_selector('#byod-state[data-state="error"]', timeout=STEP_TIMEOUT_MS)

    assert page.evaluate("window.__noReload === true")
    assert bad in page.inner_text(".error-panel")
    row = page.inner_text(".migration-history tr.migration-failed")
    assert f"Stopped at document {bad}: Error: cannot read the title. Nothing was lost" in row
    assert "deploying again goes on from there" in row
    assert page.is_visible("button:has-text('Deploy again')")
    screenshot(page, "32-migration-failed")
