"""Every state of the settings page in a real browser, at 1280 and 390 px: a screenshot of
each, no sideways scrolling at 390 px, no serious or critical axe violation, a title per state
(tests/browser/checks.py). The states are written as rows, so no worker is needed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from byod import package
from byod.models import Connection, ConnectionStatus
from byod.transitions import record
from tests.browser.checks import axe_violations, check_state
from tests.browser.fixtures import log_in
from tests.fixtures.connections import (
    make_connection,
    make_deployment,
    offer_to_everyone,
    push_foreign_project,
)
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = [pytest.mark.browser]
CURRENT = package.current_version()

DESCRIBED_BY_EXISTS = """() => [...document.querySelectorAll('[aria-describedby]')].flatMap(
  el => el.getAttribute('aria-describedby').split(/\\s+/).filter(id => !document.getElementById(id))
)"""


def fresh(user: User, **fields: Any) -> Connection:
    Connection.objects.filter(user=user).delete()
    return make_connection(user, **fields)


def show(page: Any, base: str, name: str, title: str, path: str = "/database/") -> None:
    page.goto(f"{base}{path}")
    assert page.title().startswith(title), page.title()
    assert page.evaluate(DESCRIBED_BY_EXISTS) == []
    check_state(page, name)


def test_every_state_fits_at_390px_and_passes_axe(
    browser_page: Any, live_server: Any, owner: User
) -> None:
    page, base = browser_page, live_server.url
    log_in(page, base, owner)
    show(page, base, "01-not-connected", "Connect your database")

    # Bad input: errors beside the fields, marked invalid, described by ids that exist.
    page.fill("#id_url", "http://localhost:8000")
    page.fill("#id_deploy_key", "not a key")
    page.click("text=Check connection")
    page.wait_for_selector("#connect-form .field.has-error")
    assert page.get_attribute("#id_url", "aria-invalid") == "true"
    assert "nothing was saved" in page.inner_text("#connect-form")
    assert page.evaluate(DESCRIBED_BY_EXISTS) == []
    check_state(page, "02-bad-input")

    now = timezone.now()
    c = fresh(owner, status=ConnectionStatus.DEPLOYING, deployed_version=None)
    make_deployment(
        c,
        status="running",
        to_version=CURRENT,
        phase="backfilling indexes",
        indexes_ready=2,
        indexes_total=5,
        attempt=1,
        started_at=now - timedelta(seconds=12),
    )
    show(page, base, "03-deploying", "Deploying…")
    assert "Building indexes" in page.inner_text(".progress-panel")

    c = fresh(owner, status=ConnectionStatus.DEPLOYING, deployed_version=None)
    d = make_deployment(
        c,
        status="queued",
        to_version=CURRENT,
        phase="waiting to retry",
        attempt=2,
        error_category="timeout",
        next_attempt_at=now + timedelta(minutes=2),
    )
    record(c, "deploy.retry_scheduled", "x", deployment=d, data={"category": "timeout"})
    show(page, base, "04-waiting-to-retry", "Deploying…")
    note = page.inner_text(".retry-note")
    assert "We try again on our own at" in note and "UTC" in note
    assert page.is_visible("#retry-now")

    c = fresh(owner, deployed_version=CURRENT, health="healthy", last_check_at=now)
    done = make_deployment(
        c, to_version=CURRENT, started_at=now - timedelta(seconds=30), finished_at=now
    )
    record(c, "connection.created", "x", actor=owner)
    record(c, "deploy.succeeded", "x", deployment=done)
    record(c, "health.healthy", "x", data={"to": "healthy"})
    show(page, base, "05-connected", "Connected")
    assert "up to date" in page.inner_text(".connection-panel")

    if CURRENT > 1:
        fresh(owner, deployed_version=CURRENT - 1)
        offer_to_everyone(CURRENT)
        show(page, base, "06-update-available", "Connected")
        assert f"Version {CURRENT - 1} → {CURRENT} available" in page.inner_text(".update-banner")

    for name, category, title in [
        ("07-error-retryable", "timeout", "no more retries"),
        ("08-error-key-refused", "bad_credentials", "Save a working deploy key"),
        ("09-error-final", "schema_rejected", "deploy again below"),
    ]:
        c = fresh(
            owner,
            status=ConnectionStatus.ERROR,
            last_error_category=category,
            last_error_at=now,
            health="unhealthy" if category == "bad_credentials" else "unknown",
            health_reason=category if category == "bad_credentials" else "",
        )
        failed = make_deployment(
            c, status="failed", error_category=category, attempt=5, finished_at=now
        )
        record(c, "deploy.failed", "x", deployment=failed, data={"category": category})
        show(page, base, name, "Action needed")
        banner = page.inner_text(".error-panel")
        assert title in banner and "will retry" not in banner and category not in banner

    fresh(owner, status=ConnectionStatus.PENDING, deployed_version=None)
    show(page, base, "10-pending", "Not deployed yet")

    c = fresh(
        owner,
        health="unhealthy",
        health_reason="drift",
        health_message="Your deployment runs something other than our version 2: redeploy to fix.",
        last_check_at=now,
    )
    show(page, base, "11-drift", "Connected")

    c = fresh(owner, health="degraded", health_reason="timeout", consecutive_failures=1)
    for _ in range(25):
        record(c, "health.degraded", "x", data={"reason": "timeout", "to": "degraded"})
    show(page, base, "12-degraded-with-history", "Connected")
    page.click("#history >> text=Show more")
    # (CSS selectors, not wait_for_function: the page's CSP forbids eval.)
    page.wait_for_selector("#history tbody tr:nth-child(11)")
    # Keyboard users land on the first row they had not seen.
    page.wait_for_selector("#history tbody tr:nth-child(11):focus")
    check_state(page, "13-history-more")

    show(page, base, "14-credentials", "Update credentials", "/database/credentials/")
    show(page, base, "15-confirm-disconnect", "Disconnect", "/database/disconnect/")
    page.click("form.disconnect-choices button[type=submit]")
    page.wait_for_selector('#byod-state[data-state="not_connected"]')
    assert page.title().startswith("Connect your database")
    assert page.input_value("#id_url") == c.url  # the last URL, prefilled
    assert "You disconnected" in page.inner_text("#byod-state")
    check_state(page, "16-disconnected")


@pytest.mark.usefixtures("allow_emulator_hosts")
def test_check_and_foreign_tables_states_pass_too(
    browser_page: Any, live_server: Any, owner: User, convex_deployment: EmulatorDeployment
) -> None:
    page, base = browser_page, live_server.url
    log_in(page, base, owner)
    page.goto(f"{base}/database/")
    page.fill("#id_url", convex_deployment.url)
    page.fill("#id_deploy_key", convex_deployment.admin_key)
    page.click("text=Check connection")
    page.wait_for_selector("text=The connection works.")
    check_state(page, "17-check-ok")

    push_foreign_project(convex_deployment)
    page.click("text=Check connection")
    page.wait_for_selector(".foreign-tables")
    check_state(page, "18-foreign-tables")
    # Sent without ticking the box: nothing happens, and the page says why.
    page.click("text=Connect and deploy")
    error = page.wait_for_selector("#id_confirm_foreign_error")
    assert "Nothing was deployed: tick this box" in error.inner_text()
    assert page.get_attribute("#id_confirm_foreign", "aria-invalid") == "true"
    assert not Connection.objects.exists()
    check_state(page, "19-foreign-tables-unticked")


def test_the_accessibility_check_finds_a_planted_violation(browser_page: Any) -> None:
    # The check above cannot pass by not running: an image without alt text is critical.
    browser_page.set_content('<html lang="en"><title>x</title><main><img src="x.png"></main>')
    found = axe_violations(browser_page)
    assert [v["id"] for v in found] == ["image-alt"]
