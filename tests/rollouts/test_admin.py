"""The rollout pages of the admin: start with a preview and a confirmation, live progress,
pause, resume and abort; only staff."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from byod.models import Rollout
from byod.services.rollouts import control
from tests.fixtures.people import client_for, make_user
from tests.rollouts.conftest import Fleet, run_to_the_end

pytestmark = pytest.mark.django_db

START = "/admin/byod/rollout/start/"
FORM = {
    "version": "2",
    "canary_users": "",
    "canary_count": "1",
    "canary_percent": "0",
    "wave_size": "5",
    "max_in_flight": "3",
    "drivers": "1",
    "stop_failures": "",
    "stop_failure_percent": "",
}


def test_it_previews_then_starts_only_once_confirmed(staff_client: Client, fleet: Fleet) -> None:
    fleet(3)
    page = staff_client.post(START, FORM)
    assert page.status_code == 200
    html = page.content.decode()
    assert "What starting does" in html
    assert "3 connections to deploy, in 2 waves (canary: 1, wave 1: 2)" in html
    assert "From nothing deployed (3)" in html
    assert "Start this rollout" in html
    assert not Rollout.objects.exists()

    started = staff_client.post(START, {**FORM, "confirmed": "on"})
    rollout = Rollout.objects.get()
    assert started.status_code == 302
    assert started["Location"] == f"/admin/byod/rollout/{rollout.pk}/change/"
    assert rollout.status == "running" and rollout.max_in_flight == 3


def test_a_version_without_an_artifact_cannot_be_confirmed(
    staff_client: Client, fleet: Fleet
) -> None:
    fleet(1)
    page = staff_client.post(START, {**FORM, "version": "99", "confirmed": "on"})
    html = page.content.decode()
    assert "v99" in html and "Start this rollout" not in html
    assert not Rollout.objects.exists()


def test_the_page_shows_progress_and_the_controls_work(staff_client: Client, fleet: Fleet) -> None:
    fleet(3)
    staff_client.post(START, {**FORM, "confirmed": "on"})
    rollout = Rollout.objects.get()
    page = staff_client.get(f"/admin/byod/rollout/{rollout.pk}/change/").content.decode()
    assert "0 of 3 done" in page and 'hx-trigger="every 2s"' in page

    control = f"/admin/byod/rollout/{rollout.pk}/control/"
    staff_client.post(control, {"action": "pause"})
    rollout.refresh_from_db()
    assert rollout.status == "paused"
    polled = staff_client.get(f"/admin/byod/rollout/{rollout.pk}/progress/")
    assert polled.status_code == 286, "a paused, quiet rollout stops the polling"
    staff_client.post(control, {"action": "resume"})
    rollout.refresh_from_db()
    run_to_the_end(rollout)
    page = staff_client.get(f"/admin/byod/rollout/{rollout.pk}/change/").content.decode()
    assert "3 of 3 done: 3 succeeded, 0 failed" in page
    assert "Completed" in page


def test_abort_from_the_page(staff_client: Client, fleet: Fleet) -> None:
    fleet(2)
    staff_client.post(START, {**FORM, "confirmed": "on"})
    rollout = Rollout.objects.get()
    staff_client.post(
        f"/admin/byod/rollout/{rollout.pk}/control/", {"action": "abort", "reason": "oops"}
    )
    rollout.refresh_from_db()
    assert rollout.status == "aborted" and "aborted: oops" in rollout.log


@pytest.mark.parametrize("path", [START, "/admin/byod/rollout/"])
def test_it_is_for_staff_only(owner_client: Client, path: str, db: Any) -> None:
    got = owner_client.get(path)
    assert got.status_code == 302 and "/admin/login/" in got["Location"]


@pytest.mark.parametrize("wanted", ["abc", "1x", "%20", "999999"])
def test_a_rollout_that_cannot_exist_is_not_found(staff_client: Client, wanted: str) -> None:
    assert staff_client.get(f"/admin/byod/rollout/{wanted}/change/").status_code == 404


def test_staff_without_rollout_rights_get_not_found_or_forbidden_never_an_error(
    db: Any, fleet: Fleet
) -> None:
    clerk = make_user("clerk")
    clerk.is_staff = True
    clerk.save()
    clerk.user_permissions.add(Permission.objects.get(codename="view_connection"))
    web = client_for(clerk)
    assert web.get("/admin/byod/rollout/abc/change/").status_code == 404
    fleet(2)
    rollout = control.start(control.PlanOptions(wave_size=5, max_in_flight=1, drivers=1))
    assert web.get(f"/admin/byod/rollout/{rollout.pk}/change/").status_code == 403
