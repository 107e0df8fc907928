"""Operators' view of health: the column, the filters, the summary, and a check action that
queues probes for the workers and answers at once."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from byod.models import Connection, Health
from byod.services import notify
from byod.services.health import check_connections
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.connections import make_connection
from tests.fixtures.emulator import EmulatorDeployment
from tests.fixtures.people import make_user

CHANGELIST = reverse("admin:byod_connection_changelist")


def listed(client: Client, query: str) -> list[str]:
    response = client.get(CHANGELIST + query)
    assert response.status_code == 200
    return sorted(str(c.user) for c in response.context["cl"].result_list)


def test_its_check_action_queues_probes_and_returns_at_once(
    staff_client: Client, deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.set_state("paused")
    gone = make_connection(
        make_user("gone"), status="disconnected", key_ciphertext="", key_id="", name="gone-1"
    )
    response = staff_client.post(
        CHANGELIST,
        {"action": "check_credentials", "_selected_action": [deployed.pk, gone.pk]},
        follow=True,
    )
    text = " ".join(str(m) for m in response.context["messages"])
    assert "Health checks queued for 1 connection(s)" in text
    assert "1 skipped (disconnected, no key, or being deployed)" in text
    deployed.refresh_from_db()
    assert deployed.last_check_at is None  # nothing was probed inside the request
    [queued] = DBTaskResult.objects.filter(task_path__endswith="check_connections_task")
    check_connections(*queued.args_kwargs["args"])  # what a worker runs
    deployed.refresh_from_db()
    assert (deployed.health, deployed.health_reason) == (Health.UNHEALTHY, "paused")
    page = staff_client.get(CHANGELIST)
    assert "Unhealthy: Deployment paused" in page.content.decode()
    assert_no_canary(page.content)


def test_its_filters_and_summary_count_health_states(staff_client: Client, staff: User) -> None:
    states = {
        "fresh": {},
        "fine": {"health": Health.HEALTHY},
        "shaky": {"health": Health.DEGRADED, "health_reason": "timeout"},
        "paused": {"health": Health.UNHEALTHY, "health_reason": "paused"},
        "drifted": {"health": Health.UNHEALTHY, "health_reason": "drift"},
    }
    for name, fields in states.items():
        make_connection(make_user(name), name=f"dep-{name}", **fields)
    assert listed(staff_client, "?health=unknown") == ["fresh"]
    assert listed(staff_client, "?health=healthy") == ["fine"]
    assert listed(staff_client, "?health=degraded") == ["shaky"]
    assert listed(staff_client, "?health=drift") == ["drifted"]
    assert listed(staff_client, "?health=unhealthy") == ["drifted", "paused"]
    assert listed(staff_client, "?health=unhealthy:paused") == ["paused"]
    summary = staff_client.get(CHANGELIST).context["summary"]
    counts = {k: summary[k] for k in ("healthy", "degraded", "unhealthy", "drift", "never_checked")}
    assert counts == {"healthy": 1, "degraded": 1, "unhealthy": 2, "drift": 1, "never_checked": 1}
    reasons = {r["health_reason"]: r["n"] for r in summary["unhealthy_by_reason"]}
    assert reasons == {"drift": 1, "paused": 1}


def test_operators_read_the_notifications_without_changing_them(
    staff_client: Client, deployed: Connection
) -> None:
    notify.run_outbox()
    page = staff_client.get(reverse("admin:byod_notification_changelist"))
    assert page.status_code == 200
    assert "version_applied" in page.content.decode()
    assert_no_canary(page.content)
    row = page.context["cl"].result_list[0]
    assert (
        staff_client.post(reverse("admin:byod_notification_change", args=[row.pk])).status_code
        == 403
    )
