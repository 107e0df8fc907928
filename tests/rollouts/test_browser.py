"""A rollout as an operator runs it in a browser: the start form, its preview, the
confirmation, then the live progress page while a real `db_worker` deploys every connection;
each page at 1440 px fits and passes the accessibility check. And what users see meanwhile: the
version reaches them only through the rollout (the canary first), and an abort withdraws it
from those not reached."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from byod import package
from byod.models import Connection, Rollout
from tests.browser.checks import check_state
from tests.browser.fixtures import Worker, log_in
from tests.fixtures.people import PASSWORD
from tests.fixtures.waiting import wait_for
from tests.rollouts.conftest import Fleet, FleetOn, Member

pytestmark = [pytest.mark.browser]
WIDTH = 1440


def test_an_operator_starts_a_rollout_and_watches_it_finish(
    browser_page: Any, live_server: Any, staff: User, fleet: Fleet, task_worker: Worker
) -> None:
    members = fleet(3)
    version = package.current_version()
    page = browser_page
    page.set_viewport_size({"width": WIDTH, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.goto(f"{live_server.url}/admin/byod/rollout/start/")
    page.fill("#id_canary_count", "1")
    page.fill("#id_wave_size", "2")
    page.fill("#id_max_in_flight", "2")
    page.click("button[value=preview]")
    preview = page.inner_text(".byod-rollout-preview")
    assert "3 connections to deploy, in 2 waves (canary: 1, wave 1: 2)" in preview
    assert "From nothing deployed (3)" in preview
    assert not Rollout.objects.exists(), "a preview starts nothing"
    check_state(page, "admin-rollout-preview", widths=(WIDTH,))

    page.click("button[value=start]")
    page.wait_for_url("**/admin/byod/rollout/*/change/")
    rollout = Rollout.objects.get()
    # The progress panel polls until the worker has deployed all three.
    page.wait_for_function(
        "() => document.querySelector('#rollout-progress h2')?.innerText.includes('Completed')",
        timeout=90_000,
    )
    progress = page.inner_text("#rollout-progress")
    assert "3 of 3 done: 3 succeeded, 0 failed" in progress, task_worker.output()
    check_state(page, "admin-rollout-completed", widths=(WIDTH,))
    assert page.locator("button[value=pause], button[value=abort]").count() == 0

    for member in members:
        connection = Connection.objects.get(pk=member.connection.pk)
        assert connection.deployed_version == version
        assert connection.deployments.filter(rollout=rollout, status="succeeded").count() == 1

    page.goto(f"{live_server.url}/admin/byod/rollout/")
    assert f"v{version}" in page.inner_text("#result_list")
    check_state(page, "admin-rollouts", widths=(WIDTH,))


def test_the_canary_gets_the_version_others_do_not_and_an_abort_withdraws_it(
    chromium: Any,
    browser_page: Any,
    live_server: Any,
    staff: User,
    fleet_on: FleetOn,
    task_worker: Worker,
) -> None:
    # Three users on v1; the package's current version is newer (built, committed).
    canary, held, last = fleet_on(3, 1)
    version = package.current_version()
    # The wave after the canary is slow (its push takes a while), so the rollout is caught
    # mid-way: the canary done, the next wave running, the last not reached.
    held.deployment.set_fault("deploy2/start_push", latency_ms=30_000)
    users = {}
    for member in (canary, last):
        users[member.connection.pk] = user_page = chromium.new_context(
            viewport={"width": 1100, "height": 900}
        ).new_page()
        log_in(user_page, live_server.url, member.connection.user)

    def page_of(member: Member) -> str:
        user_page = users[member.connection.pk]
        user_page.goto(f"{live_server.url}/database/")
        return str(user_page.inner_text("#byod-state"))

    before = page_of(last)
    assert "Update now" not in before and f"Version 1 → {version}" not in before
    assert f"version {version} is available" not in before

    # An operator starts a rollout with a canary from the admin: preview, then start.
    page = browser_page
    page.set_viewport_size({"width": WIDTH, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/byod/rollout/start/")
    page.fill("#id_canary_users", canary.connection.user.username)
    page.fill("#id_canary_percent", "0")
    page.fill("#id_wave_size", "1")
    page.fill("#id_max_in_flight", "1")
    page.click("button[value=preview]")
    preview = page.inner_text(".byod-rollout-preview")
    assert f"canary\t1\t{canary.connection.user.username}" in preview
    assert "3 connections to deploy, in 3 waves (canary: 1, wave 1: 1, wave 2: 1)" in preview
    assert page.locator("input[name=wave_size][type=hidden]").count() == 1, "read-only now"
    check_state(page, "admin-rollout-canary-preview", widths=(WIDTH,))
    page.click("button[value=start]")
    page.wait_for_url("**/admin/byod/rollout/*/change/")
    rollout = Rollout.objects.get()

    # The canary is updated by the rollout; the last user is offered nothing meanwhile.
    wait_for(
        lambda: Connection.objects.get(pk=canary.connection.pk).deployed_version == version,
        timeout=90,
        what=f"the canary on v{version} ({task_worker.output()})",
    )
    assert f"Running version {version}" in page_of(canary)
    wait_for(
        lambda: rollout.deployments.filter(connection=held.connection, status="running").exists(),
        timeout=60,
        what="the wave after the canary to start",
    )
    meanwhile = page_of(last)
    assert "Update now" not in meanwhile and f"version {version} is available" not in meanwhile

    # Abort, after its confirmation, with a reason.
    page.goto(f"{live_server.url}/admin/byod/rollout/{rollout.pk}/change/")
    page.click("button[value=abort]")
    page.wait_for_selector("text=Abort rollout #")
    question = page.inner_text("#content")
    assert f"Abort rollout #{rollout.pk} to v{version}?" in question
    assert "1 connection not reached stays on its version" in question
    check_state(page, "admin-rollout-abort-confirm", widths=(WIDTH,))
    page.fill("#rollout-abort-reason", "the canary looked wrong")
    page.click("text=Abort the rollout")
    page.wait_for_selector("text=aborted:")
    rollout.refresh_from_db()
    assert rollout.status == "aborted" and "aborted: the canary looked wrong" in rollout.log
    shown = page.inner_text("#rollout-progress")
    assert "still running (they finish)" in shown and "finished" not in shown.split("Started")[1]

    # Those not reached see no offer: no banner, no button, a plain note.
    after = page_of(last)
    assert "Update now" not in after and f"version {version} is available" not in after
    assert f"The update to version {version} was stopped before it reached your database" in after
    assert f"Running version {version}" in page_of(canary)
    check_state(users[last.connection.pk], "rollout-aborted-not-reached")
