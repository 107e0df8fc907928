"""The rollout pages of the admin: start with a preview and a confirmation, live progress,
pause, resume and abort; only staff."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from byod import builds
from byod.models import Connection, Rollout
from byod.package.version import CURRENT_VERSION
from byod.services.deploys import lease
from byod.services.deploys.run import carry_on
from byod.services.rollouts import control as rollouts
from byod.services.rollouts import driver as rollout_driver
from tests.fixtures.people import client_for, make_user
from tests.rollouts.conftest import Fleet, FleetOn, run_to_the_end

pytestmark = pytest.mark.django_db

START = "/admin/byod/rollout/start/"
FORM = {
    "version": str(CURRENT_VERSION),
    "canary_users": "",
    "canary_count": "1",
    "canary_percent": "0",
    "wave_size": "5",
    "max_in_flight": "3",
    "drivers": "1",
    "stop_canary_failures": "1",
    "stop_failures": "",
    "stop_failure_percent": "10",
    "open_after_wave": "",
}


def confirmation(html: str) -> str:
    found = re.search(r'name="confirmation" value="([^"]+)"', html)
    assert found, "the preview carries the plan it showed"
    return found.group(1)


def preview_and_start(client: Client, form: dict[str, str]) -> HttpResponse:
    """Preview, then "Start" with the confirmation the preview showed."""
    shown = client.post(START, {**form, "action": "preview"}).content.decode()
    return client.post(START, {**form, "action": "start", "confirmation": confirmation(shown)})


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

    started = staff_client.post(
        START, {**FORM, "action": "start", "confirmation": confirmation(html)}
    )
    rollout = Rollout.objects.get()
    assert started.status_code == 302
    assert started["Location"] == f"/admin/byod/rollout/{rollout.pk}/change/"
    assert rollout.status == "running" and rollout.max_in_flight == 3


def test_a_version_without_an_artifact_cannot_be_confirmed(
    staff_client: Client, fleet: Fleet
) -> None:
    fleet(1)
    page = staff_client.post(START, {**FORM, "version": "99", "action": "start"})
    html = page.content.decode()
    assert "v99" in html and "Start this rollout" not in html
    assert not Rollout.objects.exists()


def test_the_page_shows_progress_and_the_controls_work(staff_client: Client, fleet: Fleet) -> None:
    fleet(3)
    preview_and_start(staff_client, FORM)
    rollout = Rollout.objects.get()
    page = staff_client.get(f"/admin/byod/rollout/{rollout.pk}/change/").content.decode()
    assert "0 of 3 done" in page and 'hx-trigger="every 2s"' in page

    control = f"/admin/byod/rollout/{rollout.pk}/control/"
    staff_client.post(control, {"action": "pause", "confirmed": "1"})
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
    preview_and_start(staff_client, FORM)
    rollout = Rollout.objects.get()
    staff_client.post(
        f"/admin/byod/rollout/{rollout.pk}/control/",
        {"action": "abort", "reason": "oops", "confirmed": "1"},
    )
    rollout.refresh_from_db()
    assert rollout.status == "aborted" and "aborted: oops" in rollout.log


@pytest.mark.parametrize("path", [START, "/admin/byod/rollout/"])
def test_it_is_for_staff_only(owner_client: Client, path: str, db: Any) -> None:
    got = owner_client.get(path)
    assert got.status_code == 302 and "/admin/login/" in got["Location"]


def test_after_the_preview_the_fields_are_read_only_with_the_plan(
    staff_client: Client, fleet: Fleet
) -> None:
    fleet(2)
    html = staff_client.post(START, {**FORM, "action": "preview"}).content.decode()
    assert "The plan you are about to start" in html
    assert '<input type="hidden" name="wave_size" value="5"' in html
    assert 'type="number" name="wave_size"' not in html, "nothing stays editable"
    assert "Change the plan" in html
    again = staff_client.post(START, {**FORM, "action": "edit"}).content.decode()
    assert 'type="number" name="wave_size"' in again and "Start this rollout" not in again


def test_start_refuses_a_plan_that_is_not_the_one_previewed(
    staff_client: Client, fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet(3)
    shown = staff_client.post(START, {**FORM, "action": "preview"}).content.decode()
    token = confirmation(shown)

    # A field changed after the preview (the form posted something else than it showed).
    changed = staff_client.post(
        START, {**FORM, "wave_size": "4", "action": "start", "confirmation": token}
    ).content.decode()
    assert "a field changed after the preview" in changed
    assert not Rollout.objects.exists()
    assert "The plan you are about to start" in changed, "the new plan, to review again"

    # A connection added since the preview.
    fleet(1)
    added = staff_client.post(
        START, {**FORM, "action": "start", "confirmation": token}
    ).content.decode()
    assert "4 connection(s) to deploy now, not 3" in added
    assert not Rollout.objects.exists()

    # A new build of the version since the preview.
    token = confirmation(added)
    monkeypatch.setattr(builds, "package_hash", lambda version: "f" * 64)
    rebuilt = staff_client.post(
        START, {**FORM, "action": "start", "confirmation": token}
    ).content.decode()
    assert f"v{CURRENT_VERSION} was built again" in rebuilt
    assert not Rollout.objects.exists()

    # A forged or damaged confirmation starts nothing either.
    forged = staff_client.post(START, {**FORM, "action": "start", "confirmation": token + "x"})
    assert "this preview is missing or too old" in forged.content.decode()
    assert not Rollout.objects.exists()

    started = staff_client.post(
        START, {**FORM, "action": "start", "confirmation": confirmation(rebuilt)}
    )
    assert started.status_code == 302
    rollout = Rollout.objects.get()
    assert rollout.members.count() == 4 and rollout.started_by == "staff"


def test_the_start_page_shows_the_safe_defaults(staff_client: Client, db: Any) -> None:
    html = staff_client.get(START).content.decode()
    assert 'name="canary_percent" value="5"' in html
    assert 'name="stop_canary_failures" value="1"' in html
    assert 'name="stop_failure_percent" value="10"' in html
    assert 'name="wave_size" value="25"' in html
    assert "Safe defaults: a canary of 5% of the connections" in html
    assert '<ol class="breadcrumbs">' in html, "the admin's own breadcrumb style"


def test_the_preview_sizes_the_rollout(
    staff_client: Client, fleet_on: FleetOn, settings: Any
) -> None:
    settings.BYOD_MIGRATION_BATCH_SIZE = 100
    counted, _never, sick = fleet_on(3, 1)
    Connection.objects.filter(pk=counted.connection.pk).update(
        table_counts={"conversations": 250, "memories": 40, "messages": 900},
        table_counts_at=timezone.now() - timedelta(hours=2),
    )
    Connection.objects.filter(pk=sick.connection.pk).update(
        health="unhealthy", health_reason="bad_credentials"
    )
    form = {**FORM, "canary_count": "0", "canary_percent": "33"}
    html = staff_client.post(START, {**form, "action": "preview"}).content.decode()
    assert "1,190 documents in our tables over 1 counted connection" in html
    assert "(oldest count 2" in html and "hours ago)" in html
    assert "2 connections never counted" in html
    # v1 -> v2 rewrites conversations and memories (v3 rewrites nothing): 250 + 40 documents,
    # 3 + 1 batches.
    assert "Documents to rewrite: 290 (conversations: 250, memories: 40), 4 batches" in html
    assert "Time: about" in html and "per batch of 100 documents rewritten" in html
    assert "Unhealthy right now (1), likely to fail:</strong>" in html
    assert f"{sick.connection.user.username} (bad_credentials)" in html
    assert f"<td>canary</td><td>1</td><td>{counted.connection.user.username}</td>" in html
    assert "the canary pauses it at its first failure; a wave pauses the rollout at 10%" in html

    # Counting runs on the workers: the button queues it and the page never waits.
    queued = staff_client.post(START, {**form, "action": "count"}).content.decode()
    assert "Counting the documents of 2 connection(s) on the workers" in queued
    assert Connection.objects.filter(count_requested_at__isnull=False).count() == 2


def test_a_way_back_needs_allow_downgrade_and_its_own_confirmation(
    staff_client: Client, fleet_on: FleetOn
) -> None:
    fleet_on(2, 2)
    back = {**FORM, "version": "1", "canary_count": "0"}
    html = staff_client.post(START, {**back, "action": "preview"}).content.decode()
    assert "needs an explicit allow-downgrade" in html and "Start this rollout" not in html

    allowed = {**back, "allow_downgrade": "on"}
    html = staff_client.post(START, {**allowed, "action": "preview"}).content.decode()
    assert "Going back to v1" in html and 'name="downgrade_confirmed"' in html
    token = confirmation(html)
    refused = staff_client.post(START, {**allowed, "action": "start", "confirmation": token})
    assert "confirm what it loses" in refused.content.decode()
    assert not Rollout.objects.exists()
    started = staff_client.post(
        START,
        {**allowed, "action": "start", "confirmation": token, "downgrade_confirmed": "on"},
    )
    assert started.status_code == 302
    assert Rollout.objects.get().downgrade is True


@pytest.mark.parametrize("action", ["pause", "abort"])
def test_pause_and_abort_ask_first_with_their_own_reason(
    staff_client: Client, fleet: Fleet, action: str
) -> None:
    fleet(3)
    preview_and_start(staff_client, {**FORM, "canary_count": "0", "wave_size": "1"})
    rollout = Rollout.objects.get()
    control = f"/admin/byod/rollout/{rollout.pk}/control/"
    page = staff_client.get(f"/admin/byod/rollout/{rollout.pk}/change/").content.decode()
    assert 'id="rollout-abort-reason"' not in page, "no reason box shared by the buttons"

    asked = staff_client.post(control, {"action": action}).content.decode()
    rollout.refresh_from_db()
    assert rollout.status == "running", "asking acts on nothing"
    verb = action.capitalize()
    assert f"{verb} rollout #{rollout.pk} to v{rollout.version}?" in asked
    assert f'id="rollout-{action}-reason"' in asked
    if action == "abort":
        assert "0 queued deploys (retries waiting) are cancelled" in asked
        assert "3 connections not reached stay on their version" in asked

    done = staff_client.post(
        control, {"action": action, "confirmed": "1", "reason": "lunch"}, follow=True
    )
    rollout.refresh_from_db()
    assert rollout.status == ("paused" if action == "pause" else "aborted")
    assert f"{action}ed: lunch" in rollout.log or "paused: lunch" in rollout.log
    if action == "abort":
        message = done.content.decode()
        assert "aborted: 3 cancelled (3 connection(s) not reached" in message
        assert "3 not reached" not in message and "3 cancelled" in message
        assert "finished" not in message.split("byod-rollout-times")[1].split("</p>")[0]


def test_the_page_does_not_say_finished_while_deploys_run(
    staff_client: Client, fleet: Fleet
) -> None:
    fleet(2)
    preview_and_start(staff_client, {**FORM, "canary_count": "0", "max_in_flight": "1"})
    rollout = Rollout.objects.get()
    owner = lease.new_owner()
    _, started = rollout_driver.claim(rollout.pk, 1, owner)  # one deploy running
    assert len(started) == 1
    rollouts.abort(rollout)
    page = staff_client.get(f"/admin/byod/rollout/{rollout.pk}/progress/").content.decode()
    times = page.split('class="byod-rollout-times">')[1].split("</p>")[0]
    assert "1 deploy still running (they finish)" in times and "finished" not in times
    carry_on(started[0], owner)
    page = staff_client.get(f"/admin/byod/rollout/{rollout.pk}/progress/").content.decode()
    assert "still running" not in page and "; aborted " in page


def test_the_list_has_a_failure_count_and_who_started(staff_client: Client, fleet: Fleet) -> None:
    members = fleet(2)
    members[0].deployment.set_fault("*", revoked_key=True)
    preview_and_start(staff_client, {**FORM, "canary_count": "0", "stop_failure_percent": ""})
    rollout = Rollout.objects.get()
    run_to_the_end(rollout)
    html = staff_client.get("/admin/byod/rollout/").content.decode()
    assert "column-failures" in html
    assert '<td class="field-failures">1</td>' in html
    assert '<td class="field-started_by_display">staff</td>' in html


def test_a_deploy_from_nothing_is_not_named_vnone(fleet: Fleet) -> None:
    (member,) = fleet(1)
    deployment = member.connection.deployments.get()
    assert "vNone" not in str(deployment) and "nothing → v" in str(deployment)


def test_named_canary_users_in_any_order_start_as_previewed(
    staff_client: Client, fleet: Fleet
) -> None:
    members = fleet(3)
    names = f"{members[2].connection.user.username}, {members[0].connection.user.username}"
    started = preview_and_start(staff_client, {**FORM, "canary_users": names, "canary_count": "0"})
    assert started.status_code == 302, started.content.decode()[:2000]
    rollout = Rollout.objects.get()
    canary = set(rollout.members.filter(wave=0).values_list("connection_id", flat=True))
    assert canary == {members[0].connection.pk, members[2].connection.pk}


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
    rollout = rollouts.start(rollouts.PlanOptions(wave_size=5, max_in_flight=1, drivers=1))
    assert web.get(f"/admin/byod/rollout/{rollout.pk}/change/").status_code == 403
