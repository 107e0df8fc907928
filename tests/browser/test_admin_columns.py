"""The admin's main lists at 1440 px show every column (nothing clipped or scrolled out of
view), say what they mean in words, and pass the accessibility check."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from byod import package
from byod.models import ConnectionStatus
from byod.transitions import record
from tests.browser.checks import check_state
from tests.fixtures.connections import make_connection, make_deployment
from tests.fixtures.people import PASSWORD, make_user

pytestmark = [pytest.mark.browser]
WIDTH = 1440
LONG = (
    "Your deployment refused our schema (table messages, index by_conversation_and_time). "
    "Nothing was changed. Check that the deployment is not used by another project, then "
    "contact support with this message."
)

COLUMNS_FIT = """() => {
  const box = document.querySelector('#changelist .results');
  const cells = [...document.querySelectorAll(
    '#result_list thead th, #result_list tbody tr:first-child td')];
  const width = document.documentElement.clientWidth;
  return {
    scroll: box.scrollWidth - box.clientWidth,
    outside: cells.filter(c => c.getBoundingClientRect().right > width + 0.5).map(c => c.className),
    page: document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth,
    headers: [...document.querySelectorAll('#result_list thead th')].map(th => th.innerText.trim()),
  };
}"""


def operator_data() -> int:
    current = package.current_version()
    first = 0
    for i, (status, version, category) in enumerate(
        [
            (ConnectionStatus.CONNECTED, current, ""),
            (ConnectionStatus.CONNECTED, current - 1 or None, ""),
            (ConnectionStatus.ERROR, None, "schema_rejected"),
        ]
    ):
        user = make_user(f"operator-view-user-{i}")
        c = make_connection(
            user,
            name=f"long-deployment-name-{i}-tranquil-otter",
            status=status,
            deployed_version=version,
            last_error_category=category,
            last_error_message=LONG if category else "",
            consecutive_failures=3 if category else 0,
            last_deploy_at=timezone.now(),
            last_check_at=timezone.now(),
        )
        first = first or c.pk
        d = make_deployment(
            c,
            status="failed" if category else "succeeded",
            error_category=category or "",
            error_message=LONG if category else "",
            phase="waiting for schema",
            dry_run=i == 1,
            trigger="admin",
        )
        record(c, "deploy.failed" if category else "deploy.succeeded", LONG, deployment=d)
    return first


def test_the_admin_lists_show_every_column_at_1440px(
    browser_page: Any, live_server: Any, staff: User
) -> None:
    first = operator_data()
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    for path, name in [
        ("/admin/byod/connection/", "admin-connections"),
        ("/admin/byod/deployment/", "admin-deployments"),
        ("/admin/byod/event/", "admin-events"),
    ]:
        page.set_viewport_size({"width": WIDTH, "height": 900})
        page.goto(f"{live_server.url}{path}")
        fit = page.evaluate(COLUMNS_FIT)
        assert fit["scroll"] <= 0 and fit["page"] <= 0 and fit["outside"] == [], (path, str(fit))
        check_state(page, name, widths=(WIDTH,))
        text = page.inner_text("#result_list")
        if name == "admin-connections":
            headers = [h.lower() for h in fit["headers"]]
            assert {"last error", "last deploy", "failures", "version"} <= set(headers), headers
            assert "Outdated (v" in text or package.current_version() == 1
            assert "up to date" in text and "schema_rejected" in text
        if name == "admin-deployments":
            assert "Succeeded (dry run)" in text and "schema_rejected" in text
        # Meaning in words, not a sea of ✓/✗ icons.
        assert page.locator("#result_list img[src*='icon-']").count() == 0
    # The error category filter has a label for every choice (no empty link).
    page.goto(f"{live_server.url}/admin/byod/connection/")
    links = page.locator("#changelist-filter a").all_inner_texts()
    assert all(text.strip() for text in links), links
    # ...and it is there at all: the category of the failed row, and "No error".
    assert "No error" in links and any("(schema_rejected)" in text for text in links), links
    page.goto(f"{live_server.url}/admin/byod/connection/{first}/change/")
    check_state(page, "admin-connection-change", widths=(WIDTH,))
    assert page.locator("img[src*='icon-yes'], img[src*='icon-no']").count() == 0
