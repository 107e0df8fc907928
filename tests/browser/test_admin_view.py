"""What an operator sees first in the admin: the summary above every user's connection."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from byod import package
from byod.models import ConnectionStatus
from tests.browser.fixtures import screenshot
from tests.fixtures.connections import make_connection, make_deployment
from tests.fixtures.people import PASSWORD, make_user

pytestmark = [pytest.mark.browser]


def test_an_operator_sees_versions_and_failures_at_a_glance(
    browser_page: Any, live_server: Any, staff: User
) -> None:
    current = package.current_version()
    rows = [
        ("ann", ConnectionStatus.CONNECTED, current, ""),
        ("ben", ConnectionStatus.CONNECTED, current, ""),
        ("cat", ConnectionStatus.ERROR, current, "timeout"),
        ("dan", ConnectionStatus.ERROR, None, "bad_credentials"),
        ("eve", ConnectionStatus.DEPLOYING, None, ""),
    ]
    for name, status, version, category in rows:
        user = make_user(name)
        connection = make_connection(
            user,
            name=f"{name}-deploy-1",
            status=status,
            deployed_version=version,
            last_error_category=category,
            consecutive_failures=2 if category else 0,
            last_deploy_at=timezone.now(),
        )
        make_deployment(connection, status="failed" if category else "succeeded")
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.set_viewport_size({"width": 1500, "height": 900})
    page.goto(f"{live_server.url}/admin/byod/connection/")
    summary = page.inner_text(".byod-summary")
    assert "2 failing" in summary and "2 outdated" in summary
    assert "timeout" in summary and "bad_credentials" in summary
    screenshot(page, "13-admin-connections")
    page.click("text=2 failing")
    page.wait_for_url("**/?status__exact=error")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 2
