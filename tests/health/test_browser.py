"""The health states as a person sees them, with screenshots; "Check now" through a real
worker; the admin's health filters."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from byod.models import Connection, Health
from tests.browser.fixtures import log_in, screenshot
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.connections import make_connection
from tests.fixtures.emulator import EmulatorDeployment
from tests.fixtures.people import make_user

pytestmark = [pytest.mark.browser]

STATES: dict[str, dict[str, Any]] = {
    "healthy": {"health": Health.HEALTHY, "last_check_ms": 84},
    "degraded": {
        "health": Health.DEGRADED,
        "health_reason": "timeout",
        "health_message": "Your deployment took too long to answer. Check the deployment's "
        "health in the Convex dashboard.",
        "consecutive_failures": 1,
    },
    "unhealthy": {
        "health": Health.UNHEALTHY,
        "health_reason": "paused",
        "health_message": "Your deployment is paused, so it refuses to run functions. Resume it "
        "in the Convex dashboard (Settings → Pause Deployment), then deploy again.",
        "consecutive_failures": 1,
    },
    "drift": {
        "health": Health.UNHEALTHY,
        "health_reason": "drift",
        "health_message": "Your deployment runs something other than our version 1: redeploy "
        "to fix. Another project's code runs there.",
        "consecutive_failures": 1,
    },
}


@pytest.mark.parametrize("state", list(STATES))
def test_the_page_shows_each_health_state(
    browser_page: Any, live_server: Any, owner: User, state: str, time_machine: Any
) -> None:
    # The clock stands still (the live server runs in this process): the check was "just now".
    time_machine.move_to(timezone.now(), tick=False)
    make_connection(owner, last_check_at=timezone.now(), **STATES[state])
    page = browser_page
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/database/")
    panel = page.inner_text("#byod-health")
    badge = page.inner_text("#byod-health .health-badge")
    assert badge == {"healthy": "healthy", "degraded": "degraded"}.get(
        state, "drift" if state == "drift" else "unhealthy"
    )
    assert "Last check" in panel and "UTC (just now)" in panel
    if state != "healthy":
        assert STATES[state]["health_message"][:40] in panel
    screenshot(page, f"30-health-{state}")


def test_check_now_runs_on_the_worker_and_the_panel_shows_the_result(
    browser_page: Any,
    live_server: Any,
    owner: User,
    deployed: Connection,
    canary_deployment: EmulatorDeployment,
    task_worker: Any,
) -> None:
    page = browser_page
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/database/")
    assert page.inner_text("#byod-health .health-badge") == "not checked yet"
    screenshot(page, "31-health-not-checked-yet")
    canary_deployment.set_state("paused")
    page.click("#byod-health >> text=Check now")
    page.wait_for_selector("#byod-health[data-health=unhealthy]", timeout=30_000)
    panel = page.inner_text("#byod-health")
    assert "Deployment paused." in panel and "Resume it in the Convex dashboard" in panel
    assert page.inner_text("#byod-heading-health") == "unhealthy"  # the heading agrees
    assert_no_canary(page.content())
    screenshot(page, "32-health-checked-now-paused")


def test_the_admin_filters_connections_by_health(
    browser_page: Any, live_server: Any, staff: User
) -> None:
    for state, fields in STATES.items():
        make_connection(make_user(f"user-{state}"), name=f"dep-{state}", **fields)
    make_connection(make_user("user-fresh"), name="dep-fresh")
    page = browser_page
    log_in(page, live_server.url, staff)
    page.goto(f"{live_server.url}/admin/byod/connection/")
    summary = page.inner_text(".byod-health-summary")
    assert "1 healthy" in summary and "1 degraded" in summary and "2 unhealthy" in summary
    assert "1 drift" in summary and "1 never checked" in summary
    screenshot(page, "33-admin-health-summary")
    page.click("#changelist-filter >> text=Unhealthy: Deployment paused")
    rows = page.inner_text("#result_list tbody")
    assert "user-unhealthy" in rows and "user-drift" not in rows
    screenshot(page, "34-admin-health-filter-paused")
