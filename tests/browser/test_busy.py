"""While a slow deployment answers, the page shows that work is under way and the form
cannot be sent twice."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from byod.models import Connection
from tests.browser.checks import screenshots_dir
from tests.browser.fixtures import log_in
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("allow_emulator_hosts")]
SLOW_MS = 2500


@pytest.mark.parametrize("button", ["Check connection", "Connect and deploy"])
def test_a_slow_answer_shows_the_busy_state_and_one_request_goes_out(
    browser_page: Any,
    live_server: Any,
    owner: User,
    convex_deployment: EmulatorDeployment,
    button: str,
) -> None:
    page = browser_page
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/database/")
    page.fill("#id_url", convex_deployment.url)
    page.fill("#id_deploy_key", convex_deployment.admin_key)
    convex_deployment.set_fault("check_admin_key", latency_ms=SLOW_MS)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    page.click(f"button:has-text('{button}')")
    indicator = page.wait_for_selector("text=Talking to your deployment…", state="visible")
    assert indicator.is_visible()
    assert page.get_attribute("#connect-form", "aria-busy") == "true"
    assert page.locator("#connect-form button[disabled]").count() == 2
    page.screenshot(path=str(screenshots_dir() / f"busy-{button.split()[0].lower()}.png"))
    # A second click (and Enter in the key field) sends nothing while the first is under way.
    page.click(f"button:has-text('{button}')", force=True, timeout=2000)
    page.press("#id_deploy_key", "Enter")

    if button == "Check connection":
        page.wait_for_selector("text=The connection works.", timeout=15_000)
        assert not Connection.objects.exists()
    else:
        page.wait_for_selector("#byod-state[data-state=deploying]", timeout=15_000)
        assert Connection.objects.count() == 1
    assert len(posts) == 1, posts
    assert not page.is_visible("text=Talking to your deployment…")
