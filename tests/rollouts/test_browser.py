"""A rollout as an operator runs it in a browser: the start form, its preview, the
confirmation, then the live progress page while a real `db_worker` deploys every connection;
each page at 1440 px fits and passes the accessibility check."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from byod import package
from byod.models import Connection, Rollout
from tests.browser.checks import check_state
from tests.browser.fixtures import Worker
from tests.fixtures.people import PASSWORD
from tests.rollouts.conftest import Fleet

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
    page.click("input[value=Preview]")
    preview = page.inner_text(".byod-rollout-preview")
    assert "3 connections to deploy, in 2 waves (canary: 1, wave 1: 2)" in preview
    assert "From nothing deployed (3)" in preview
    assert not Rollout.objects.exists(), "a preview starts nothing"
    check_state(page, "admin-rollout-preview", widths=(WIDTH,))

    page.click("input[value='Start this rollout']")
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
