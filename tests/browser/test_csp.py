"""Every page, and the admin, works under the Content-Security-Policy: no violation reported."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from tests.browser.fixtures import csp_violations
from tests.fixtures.connections import make_connection, make_deployment

pytestmark = [pytest.mark.browser]
PASSWORD = "a long enough passphrase 7"


def watch_violations(page: Any) -> list[str]:
    """Collect CSP violations as the browser reports them (console and the DOM event)."""
    return csp_violations(page)


def test_pages_and_admin_report_no_csp_violation(browser_page: Any, live_server: Any) -> None:
    staff = User.objects.create_user("ops", "ops@example.com", PASSWORD, is_staff=True)
    staff.is_superuser = True
    staff.save()
    connection = make_connection(staff, status="error", last_error_category="timeout")
    make_deployment(connection, status="failed", error_category="timeout")
    page = browser_page
    violations = watch_violations(page)

    response = page.goto(f"{live_server.url}/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.goto(f"{live_server.url}/database/")
    page.click("text=Retry now")  # an htmx swap, with its indicator
    page.wait_for_selector("[data-state=deploying]")
    for path in [
        "/admin/",
        "/admin/byod/connection/",
        f"/admin/byod/connection/{connection.pk}/change/",
        "/admin/byod/deployment/",
        "/admin/byod/event/",
        "/admin/accounts/user/",
        "/accounts/password/change/",
    ]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
    assert violations == []
