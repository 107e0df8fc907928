"""The settings page tells the truth about health: no "healthy" before a check, what failed,
when; "Check now" is queued on the worker and throttled; the mail opt-out."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from byod import package
from byod.errors import CATEGORIES
from byod.models import Connection, Health
from byod.services.health import check_connections
from byod.templatetags.byod_format import latency
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.connections import make_connection
from tests.fixtures.emulator import EmulatorDeployment
from tests.health.conftest import check

PAGE = "/database/"


def badge(html: str) -> str:
    found = re.search(r'class="badge [a-z]+ health-badge">([^<]+)<', html)
    assert found, "no health badge on the page"
    return found.group(1)


def test_it_says_not_checked_yet_instead_of_healthy(
    deployed: Connection, owner_client: Client
) -> None:
    html = owner_client.get(PAGE).content.decode()
    assert badge(html) == "not checked yet"
    assert ">healthy<" not in html
    assert "No check has run yet" in html


def test_it_shows_the_last_check_and_what_failed(
    deployed: Connection, owner_client: Client, canary_deployment: EmulatorDeployment
) -> None:
    check(deployed)
    html = owner_client.get(PAGE).content.decode()
    assert badge(html) == "healthy"
    assert "answered in" in html
    canary_deployment.set_state("paused")
    check(deployed)
    html = owner_client.get(PAGE).content.decode()
    assert badge(html) == "unhealthy"
    assert "Deployment paused." in html and "Resume it in the Convex dashboard" in html
    assert_no_canary(html)


def test_it_shows_drift_with_a_redeploy_button(
    deployed: Connection, owner_client: Client, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.push_foreign()
    check(deployed)
    html = owner_client.get(PAGE).content.decode()
    assert badge(html) == "drift"
    current = package.current_version()
    assert f"runs something other than our version {current}: redeploy to fix" in html
    assert 'action="/database/redeploy/"' in html


def test_check_now_queues_the_check_and_the_panel_shows_its_outcome(
    deployed: Connection, owner_client: Client
) -> None:
    answer = owner_client.post("/database/health/check/", headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert "Checking now" in answer.content.decode()
    queued = DBTaskResult.objects.filter(task_path__endswith="check_connections_task")
    assert [t.args_kwargs["args"] for t in queued] == [[[deployed.pk]]]
    check_connections([deployed.pk])  # what the worker runs
    polled = owner_client.get("/database/health/", headers={"HX-Request": "true"})
    assert polled.status_code == 286  # htmx stops polling: the outcome is in
    assert badge(polled.content.decode()) == "healthy"


def test_check_now_is_throttled(deployed: Connection, owner_client: Client, settings) -> None:
    settings.BYOD_THROTTLES = {**settings.BYOD_THROTTLES, "health:user": (2, 60)}
    for _ in range(2):
        assert owner_client.post("/database/health/check/").status_code == 302
    refused = owner_client.post("/database/health/check/", follow=True).content.decode()
    assert "Too many attempts. Please wait" in refused


def test_another_user_neither_sees_nor_checks_the_owners_deployment(
    deployed: Connection, other_user, client_for_other: Client
) -> None:
    answer = client_for_other.post("/database/health/check/", follow=True)
    assert "Connect a deployment first." in answer.content.decode()
    assert not DBTaskResult.objects.filter(task_path__endswith="check_connections_task").exists()


def test_the_owner_can_turn_the_mails_off_and_on(
    deployed: Connection, owner_client: Client
) -> None:
    owner_client.post("/database/notifications/", {})
    deployed.refresh_from_db()
    assert deployed.email_notifications is False
    html = owner_client.get(PAGE).content.decode()
    assert 'name="email_notifications" value="on">' in html  # unchecked now
    owner_client.post("/database/notifications/", {"email_notifications": "on"})
    deployed.refresh_from_db()
    assert deployed.email_notifications is True


@pytest.mark.django_db
@pytest.mark.parametrize("reason", [*CATEGORIES, "a_code_no_one_knows"])
@pytest.mark.parametrize("state", [Health.DEGRADED, Health.UNHEALTHY])
def test_the_panel_speaks_words_never_codes(owner_client: Client, owner, reason, state) -> None:
    kind = CATEGORIES.get(reason)
    make_connection(
        owner,
        health=state,
        health_reason=reason,
        health_message=kind.message_for() if kind else "Something went wrong.",
        consecutive_failures=1,
        last_check_at=timezone.now(),
        last_check_ms=10009,
    )
    html = owner_client.get(PAGE).content.decode()
    panel = re.search(r'<div id="byod-health".*?<form id="notifications"', html, re.S)
    assert panel is not None
    text = re.sub(r"<[^>]+>", " ", panel.group(0))
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text)  # no code (one-word codes read as words)
    assert "answered in 10 s" in text and "ms" not in text


@pytest.mark.parametrize(
    ("ms", "said"), [(84, "84 ms"), (999, "999 ms"), (1234, "1.2 s"), (10009, "10 s")]
)
def test_latencies_read_as_a_person_says_them(ms: int, said: str) -> None:
    assert latency(ms) == said
