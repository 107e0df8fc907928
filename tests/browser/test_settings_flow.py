"""The whole flow in headless Chromium: sign up, connect an emulated deployment, watch the deploy
(run by a real db_worker process) reach "connected" on the current version, redeploy,
disconnect; and the guidance a bad key gets. Screenshots of each state go to
test-results/screenshots/."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest

from accounts.models import User
from byod import package
from byod.models import Connection, Deployment
from tests.browser.fixtures import Worker, log_in, screenshot
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.emulator import EmulatorDeployment
from tests.fixtures.people import PASSWORD
from tests.fixtures.waiting import wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.usefixtures("allow_emulator_hosts"),
]
DEPLOY_TIMEOUT_MS = 90_000


def sign_up(page: Any, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.com")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(f"text=Log out {username}")


def state(page: Any) -> str:
    return str(page.get_attribute("#byod-state", "data-state"))


def wait_for_state(page: Any, wanted: str, timeout: int = DEPLOY_TIMEOUT_MS) -> None:
    page.wait_for_selector(f'#byod-state[data-state="{wanted}"]', timeout=timeout)


def test_a_user_connects_watches_the_deploy_redeploys_and_disconnects(
    browser_page: Any,
    live_server: Any,
    task_worker: Worker,
    canary_deployment: EmulatorDeployment,
) -> None:
    page = browser_page
    canary_deployment.set_backfill_ms(2500)  # long enough to watch the indexes build
    sign_up(page, live_server.url, "dana")
    page.goto(f"{live_server.url}/database/")
    assert state(page) == "not_connected"
    screenshot(page, "01-not-connected")

    page.fill("#id_url", canary_deployment.url)
    page.fill("#id_deploy_key", canary_deployment.admin_key)
    page.click("text=Check connection")
    page.wait_for_selector("text=The connection works.")
    assert page.input_value("#id_deploy_key") == canary_deployment.admin_key  # hx-preserve
    assert not Connection.objects.exists()
    screenshot(page, "02-check-ok")

    # A marker on window survives htmx swaps but not a page load: proves there is no reload.
    page.evaluate("window.__noReload = true")
    page.click("text=Connect and deploy")
    page.wait_for_selector("#byod-progress")
    page.wait_for_selector("#byod-progress .indexes:has-text('ready')", timeout=DEPLOY_TIMEOUT_MS)
    screenshot(page, "03-deploying")
    wait_for_state(page, "connected")
    assert page.evaluate("window.__noReload === true")
    panel = page.inner_text("#byod-state")
    current = f"version {package.current_version()}"
    assert "Connected" in panel and current in panel and "up to date" in panel
    assert canary_deployment.name in panel
    assert_no_canary(page.content())
    screenshot(page, "04-connected-version-1")

    page.click("button:has-text('Redeploy')")
    page.wait_for_selector("#byod-progress")
    wait_for_state(page, "connected")
    assert page.evaluate("window.__noReload === true")
    assert page.locator(".history tr.event-deploy-succeeded").count() == 2
    screenshot(page, "05-redeployed")
    assert Deployment.objects.filter(status="succeeded").count() == 2

    page.click("a:has-text('Disconnect')")
    page.wait_for_selector("text=we erase the key at once")  # "keep", the choice made for them
    assert page.url.endswith("/database/disconnect/")
    screenshot(page, "06-confirm-disconnect")
    page.click("form button.danger:has-text('Disconnect')")
    wait_for_state(page, "not_connected", timeout=15_000)
    assert page.url.endswith("/database/")
    assert "erased your deploy key" in page.inner_text("#byod-state")
    screenshot(page, "07-disconnected")
    connection = Connection.objects.get()
    assert connection.status == "disconnected" and not connection.has_key
    assert canary_deployment.active_schema() is not None  # the data stays with the user


def test_a_bad_key_gets_the_guidance_inline(
    browser_page: Any, live_server: Any, owner: User, convex_deployment: EmulatorDeployment
) -> None:
    page = browser_page
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/database/")

    wrong = f"{convex_deployment.name}|{secrets.token_hex(24)}"
    page.fill("#id_url", convex_deployment.url)
    page.fill("#id_deploy_key", wrong)
    page.click("text=Connect and deploy")
    error = page.wait_for_selector("#connect-form .field.has-error .error")
    assert "refused the deploy key" in error.inner_text()
    assert "Convex dashboard" in error.inner_text()
    assert wrong not in page.content()
    assert page.input_value("#id_deploy_key") == wrong  # still there to correct
    screenshot(page, "08-bad-key")

    page.fill("#id_url", "http://localhost:8000")
    page.click("text=Check connection")
    page.wait_for_selector("#connect-form .field.has-error:has(#id_url)")
    screenshot(page, "09-bad-url")
    assert not Connection.objects.exists()
    assert convex_deployment.pushes() == []


def test_the_page_works_without_javascript(
    chromium: Any,
    settings: Any,
    live_server: Any,
    task_worker: Worker,
    owner: User,
    convex_deployment: EmulatorDeployment,
) -> None:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server.url, owner)
        page.goto(f"{live_server.url}/database/")
        page.fill("#id_url", convex_deployment.url)
        page.fill("#id_deploy_key", convex_deployment.admin_key)
        page.click("text=Connect and deploy")
        page.wait_for_url(re.compile(r"/database/$"))

        def reloaded_state() -> str:  # without JavaScript, the user reloads to see progress
            page.goto(f"{live_server.url}/database/")
            return state(page)

        try:
            wait_for(
                lambda: reloaded_state() == "connected",
                timeout=DEPLOY_TIMEOUT_MS / 1000,
                interval=0.5,
                what="the page to show the deployment connected",
            )
        except AssertionError as timed_out:
            pytest.fail(f"{timed_out}; the worker's log:\n{task_worker.output()}")
        screenshot(page, "10-connected-without-javascript")
        page.click("a:has-text('Disconnect')")
        page.click("form button.danger:has-text('Disconnect')")
        page.wait_for_url(re.compile(r"/database/$"))
        assert state(page) == "not_connected"
    finally:
        context.close()


def test_a_failed_deploy_says_what_to_do_and_loses_nothing(
    browser_page: Any,
    live_server: Any,
    task_worker: Worker,
    convex_deployment: EmulatorDeployment,
) -> None:
    page = browser_page
    convex_deployment.set_fault("deploy2/wait_for_schema", schema_failure="messages")
    sign_up(page, live_server.url, "gus")
    page.goto(f"{live_server.url}/database/")
    page.fill("#id_url", convex_deployment.url)
    page.fill("#id_deploy_key", convex_deployment.admin_key)
    page.click("text=Connect and deploy")
    wait_for_state(page, "error")
    panel = page.inner_text(".error-panel")
    assert "messages" in panel and "Nothing was changed" in panel
    assert page.is_visible("button:has-text('Deploy again')")
    assert not page.is_visible("button:has-text('Retry now')")  # retrying as is cannot help
    page.click(".error-panel summary")
    screenshot(page, "16-deploy-failed")
    assert Connection.objects.get().deployed_version is None

    convex_deployment.clear_faults()
    page.click("button:has-text('Deploy again')")
    wait_for_state(page, "connected")
    assert f"version {package.current_version()}" in page.inner_text("#byod-state")
