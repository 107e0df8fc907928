"""A version reaches users only through its rollout: the settings page's banner and "Update
now", the "version available" mail and the version notes follow the rollout (canary first,
then each wave as it is reached, everyone once opened); a pause holds the offer, an abort
withdraws it from those not reached. Users on v1, a rollout of the current version."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from byod import package
from byod.models import Connection, Deployment, Notification, NotificationKind
from byod.services import notify, notify_truth, releases
from byod.services.rollouts import control as rollouts
from tests.fixtures.people import client_for
from tests.rollouts.conftest import FleetOn, Member, run_to_the_end, step

pytestmark = pytest.mark.django_db
V2_NOTE = "conversations.isArchived becomes required"  # v2's change, in the user's words


def plan(**options: Any) -> rollouts.PlanOptions:
    spelled: dict[str, Any] = {
        "wave_size": 2,
        "max_in_flight": 1,
        "drivers": 1,
        "canary_percent": 0,
        "stop_failure_percent": None,
        "stop_canary_failures": None,
    }
    return rollouts.PlanOptions(**{**spelled, **options})


def page(member: Member) -> str:
    return client_for(member.connection.user).get("/database/").content.decode()


def offered(member: Member) -> bool:
    """What the user sees: the banner and its button, the version notes; all or nothing."""
    html = page(member)
    current = package.current_version()
    connection = Connection.objects.get(pk=member.connection.pk)
    shown = [
        "available</h2>" in html and ">Update now</button>" in html,
        f"(version {current} is available)" in html,
    ]
    if connection.deployed_version == 1:  # v2's notes: told only with the offer
        shown.append(V2_NOTE in html)
    assert len(set(shown)) == 1, f"the page half-offers v{current}: {shown}"
    assert (releases.offered_update(connection) == current) == shown[0]
    return shown[0]


def mailed() -> set[int]:
    """Connections told that a version is available (the outbox collects first)."""
    notify.collect()
    rows = Notification.objects.filter(kind=NotificationKind.VERSION_AVAILABLE)
    return set(rows.values_list("connection_id", flat=True))


def ids(*members: Member) -> set[int]:
    return {m.connection.pk for m in members}


def test_a_built_version_is_offered_to_nobody_before_a_rollout(fleet_on: FleetOn) -> None:
    a, b = fleet_on(2, 1)
    assert not offered(a) and not offered(b)
    assert "up to date" in page(a)
    assert mailed() == set()
    # Their own Redeploy brings the version they run, not one nobody offered them.
    client_for(a.connection.user).post(reverse("byod:redeploy"))
    assert Deployment.objects.get(connection=a.connection, status="queued").to_version == 1


def test_the_canary_first_then_each_wave_as_it_is_reached_pause_holds_abort_withdraws(
    fleet_on: FleetOn,
) -> None:
    a, b, c, d = fleet_on(4, 1)
    # a is the canary; wave 1 is b and c; wave 2 is d. One deploy at a time.
    rollout = rollouts.start(plan(canary_users=(a.connection.user_id,)))
    assert [offered(m) for m in (a, b, c, d)] == [True, False, False, False]
    assert mailed() == ids(a)

    step(rollout)  # the canary's deploy: a is on v2 now, the wave after it not reached yet
    assert a.connection.deployments.get(rollout=rollout).status == "succeeded"
    assert [offered(m) for m in (b, c, d)] == [False, False, False]

    step(rollout)  # wave 1 is reached: b is deployed, c waits for its turn and is offered
    assert rollout.current_wave == 1
    assert [offered(m) for m in (c, d)] == [True, False]
    assert mailed() == ids(a, c)

    rollouts.pause(rollout, reason="lunch")
    assert step(rollout) == []
    assert [offered(m) for m in (c, d)] == [True, False], "a pause holds the offer"

    rollouts.abort(rollout, reason="enough")
    assert [offered(m) for m in (c, d)] == [False, False], "an abort withdraws it"
    assert not offered(a) and not offered(b), "a and b run it: nothing to offer"
    # Withdrawn means withdrawn: their Redeploy brings v1 again, and no mail goes out.
    client_for(c.connection.user).post(reverse("byod:redeploy"))
    assert Deployment.objects.get(connection=c.connection, status="queued").to_version == 1
    assert mailed() == ids(a, c)
    # c's mail was collected before the abort: at send time it is no longer true.
    told = Notification.objects.get(
        connection=c.connection, kind=NotificationKind.VERSION_AVAILABLE
    )
    assert "no rollout offers it any more" in notify_truth.why_not(told)


def test_a_users_own_update_now_on_an_offered_version_still_works(fleet_on: FleetOn) -> None:
    a, _b = fleet_on(2, 1)
    rollouts.start(plan(canary_users=(a.connection.user_id,)))
    response = client_for(a.connection.user).post(reverse("byod:redeploy"))
    assert response.status_code == 302
    own = Deployment.objects.get(connection=a.connection, status="queued")
    assert (own.from_version, own.to_version) == (1, package.current_version())


def test_opening_after_the_canary_offers_the_version_to_everyone(fleet_on: FleetOn) -> None:
    a, _b, c, d = fleet_on(4, 1)
    rollout = rollouts.start(plan(canary_users=(a.connection.user_id,), open_after_wave=0))
    assert not offered(d)
    step(rollout)  # the canary
    step(rollout)  # wave 1 reached: the canary has ended, so everyone is offered v2
    rollout.refresh_from_db()
    assert rollout.opened_at is not None
    assert "offered to every user (the canary ended)" in rollout.log
    assert offered(c) and offered(d)
    assert ids(c, d) <= mailed()


def test_an_operator_opens_it_now_and_a_completed_rollout_stays_open(fleet_on: FleetOn) -> None:
    a, b = fleet_on(2, 1)
    rollout = rollouts.start(plan(canary_users=(a.connection.user_id,)))
    assert not offered(b)
    rollouts.open_to_everyone(rollout, who="ops (shell)")
    assert offered(b)
    with pytest.raises(rollouts.NotAllowed, match="already open"):
        rollouts.open_to_everyone(rollout)
    run_to_the_end(rollout)
    assert rollout.status == "completed"
    # A user behind the version who was not in the plan (an operator put them on v1 after
    # the rollout) is offered it too: the rollout is done.
    (late,) = fleet_on(1, 1)
    assert offered(late)


def test_a_new_user_gets_the_current_version_without_a_rollout(fleet_on: FleetOn) -> None:
    (old,) = fleet_on(1, 1)
    current = package.current_version()
    fresh = Connection.objects.filter(deployed_version__isnull=True)
    assert not fresh.exists()
    assert releases.version_for_user(old.connection) == 1
    old.connection.deployed_version = None  # as a connection never deployed
    assert releases.offered_version(old.connection) == current
    assert releases.version_for_user(old.connection) == current
