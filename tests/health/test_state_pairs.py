"""Every pair of states that can meet (deploy status by health, drift and disconnected among them)
reads the same on the user's page and in the admin, and neither contradicts itself.

The pairs that cannot meet are proven apart (below the table): a deploy that fails for a reason
about the deployment leaves no connection healthy or unchecked; a disconnected one keeps no
health."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from byod import package, transitions
from byod.errors import CATEGORIES
from byod.models import Connection, Deployment, Health
from tests.fixtures.connections import make_connection, make_deployment
from tests.fixtures.people import client_for

pytestmark = [pytest.mark.django_db]

CURRENT = package.current_version()
CHANGELIST = reverse("admin:byod_connection_changelist")
FAILED_AT = timedelta(minutes=5)  # ago
CHECKED_AT = timedelta(minutes=1)  # ago: after the failure


def _error(code: str) -> dict[str, Any]:
    return {
        "status": "error",
        "deployed_version": CURRENT,
        "last_error_category": code,
        "last_error_message": CATEGORIES[code].message_for(),
    }


# The deploy side: the connection's status (and what comes with it).
STATUSES: dict[str, dict[str, Any]] = {
    "pending": {"status": "pending", "deployed_version": None},
    "deploying": {"status": "deploying", "deployed_version": CURRENT},
    "connected": {"status": "connected", "deployed_version": CURRENT},
    # A deploy failed for a reason about the deployment (its key) ...
    "error_key": _error("bad_credentials"),
    # ... or about what it holds (it said nothing about the deployment's health).
    "error_data": _error("existing_data_conflict"),
    "disconnected": {"status": "disconnected", "key_ciphertext": "", "key_id": ""},
}


def _health(state: str, reason: str = "", source: str = "check", **more: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"health": state, "health_reason": reason, "health_source": source}
    if reason:
        kind = CATEGORIES[reason]
        fields.update(health_message=kind.message_for(), consecutive_failures=1)
    return {**fields, **more}


# The health side, as the probes (or a deploy) left it.
HEALTHS: dict[str, dict[str, Any]] = {
    "unknown": {},
    "healthy": _health("healthy", last_check_ms=84),
    "degraded": _health("degraded", "timeout", last_check_ms=10009),
    "unhealthy": _health("unhealthy", "paused", last_check_ms=120),
    "unhealthy_by_deploy": _health("unhealthy", "bad_credentials", source="deploy"),
    "drift": _health("unhealthy", "drift", last_check_ms=90),
}

# Every pair that can meet, and how. A probe checks every connection with a key that no deploy
# holds (pending ones too); a deploy keeps the health it found; a failure about the
# deployment sets health (so "error_key" meets "healthy" only through a later passing check).
CAN_MEET: dict[tuple[str, str], str] = {
    **{("pending", h): "a probe of a saved connection" for h in HEALTHS},
    **{("deploying", h): "the health found before the deploy" for h in HEALTHS},
    **{("connected", h): "a probe after the deploy" for h in HEALTHS},
    **{("error_data", h): "a probe, before or after the failure" for h in HEALTHS},
    ("error_key", "unhealthy_by_deploy"): "the failed deploy itself",
    ("error_key", "degraded"): "a later check that timed out",
    ("error_key", "unhealthy"): "a later check that found it paused",
    ("error_key", "drift"): "a later check that found drift",
    ("error_key", "healthy"): "a later check that passed",
    ("disconnected", "unknown"): "a disconnect forgets health",
}
CANNOT_MEET = {
    ("error_key", "unknown"): "the failed deploy set health",
    **{("disconnected", h): "a disconnect forgets health" for h in HEALTHS if h != "unknown"},
}
assert set(CAN_MEET) | set(CANNOT_MEET) == {(s, h) for s in STATUSES for h in HEALTHS}

# The page's health badge, as the admin's health column starts.
ADMIN_WORDS = {
    "healthy": "Healthy",
    "degraded": "Degraded",
    "unhealthy": "Unhealthy: ",
    "drift": "Unhealthy: Drift",
    "not checked yet": "Not checked yet",
}
SUMMARY = {"Healthy": "healthy", "Degraded": "degraded", "Unhealthy": "unhealthy"}


def make_pair(user: User, status: str, health: str) -> Connection:
    now = timezone.now()
    fields = {**STATUSES[status], **HEALTHS[health]}
    if fields.get("health", "unknown") != "unknown" and fields.get("health_source") == "check":
        fields["last_check_at"] = now - CHECKED_AT
    if status.startswith("error"):
        fields["last_error_at"] = now - FAILED_AT
    connection = make_connection(user, **fields)
    if status == "deploying":
        make_deployment(connection, status="running", to_version=CURRENT)
    if status.startswith("error"):
        make_deployment(
            connection,
            status="failed",
            to_version=CURRENT,
            error_category=fields["last_error_category"],
        )
    return connection


def found(pattern: str, html: str) -> str:
    match = re.search(pattern, html, re.S)
    return match.group(1) if match else ""


def admin_row(staff: User) -> tuple[str, str, dict[str, Any]]:
    response = client_for(staff).get(CHANGELIST)
    assert response.status_code == 200
    admin = response.context["cl"].model_admin
    [row] = response.context["cl"].result_list
    summary = response.context["summary"]
    return admin.health_display(row), str(admin.version_display(row)), summary


@pytest.mark.parametrize(
    ("status", "health"), list(CAN_MEET), ids=[f"{s}-{h}" for s, h in CAN_MEET]
)
def test_the_page_and_the_admin_agree(
    owner: User, owner_client: Client, staff: User, status: str, health: str
) -> None:
    make_pair(owner, status, health)
    html = owner_client.get(reverse("byod:settings")).content.decode()
    said, version, summary = admin_row(staff)
    panel = found(r'(<div id="byod-health".*?)<form id="notifications"', html)
    if status in ("deploying", "disconnected"):
        assert panel == ""  # the page shows the deploy's progress, or the form to connect
    else:
        page_badge = found(r'class="badge [a-z]+ health-badge">([^<]+)<', panel)
        assert said.startswith(ADMIN_WORDS[page_badge]), (page_badge, said)
        # One clock: a time of the last check never beside "no check has run yet".
        last = found(r'<dd class="last-check">(.*?)</dd>', panel)
        result = found(r'<dd class="health-result">(.*?)</dd>', panel)
        unchecked = "No check has run yet" in result
        assert not ("<time" in last and unchecked), (last, result)
        assert unchecked == (page_badge == "not checked yet"), (page_badge, result)
        # No code, no raw milliseconds in the panel.
        assert not re.search(r"\b[a-z]+_[a-z_]+\b|\d{4,} ms", re.sub(r"<[^>]+>", " ", panel))
    if status == "disconnected":
        assert said == "— (disconnected)"
    # The admin counts each connection once, as its column says (never healthy when not).
    counted = [k for k in ("healthy", "degraded", "unhealthy", "never_checked") if summary[k]]
    expected = SUMMARY.get(said.split(":")[0], "never_checked")
    assert counted == ([] if status == "disconnected" else [expected])
    # A failed deploy about the deployment never sits above "healthy" unless a later check
    # passed, and then the page says so.
    if status == "error_key":
        assert ("answering again" in html) == (health == "healthy")
        assert ("Your deploy key is accepted" in html) == (health == "healthy")
    # Drift: nothing of ours runs there, so nothing is "up to date".
    shown = found(r'<dd class="versions">(.*?)</dd>', html)
    if health == "drift":
        assert "up to date" not in shown and "up to date" not in version
        if status not in ("deploying", "disconnected"):
            assert "runs something else" in shown and "Drift" in version
    elif status == "connected":
        assert "up to date" in shown and "up to date" in version


# --- the pairs that cannot meet -------------------------------------------------------------


@pytest.mark.parametrize("code", [c for c, k in CATEGORIES.items() if k.about_deployment])
@pytest.mark.parametrize("before", [Health.UNKNOWN, Health.HEALTHY, Health.DEGRADED])
def test_a_deploy_failing_about_the_deployment_leaves_it_neither_healthy_nor_unchecked(
    owner: User, code: str, before: str
) -> None:
    connection = make_connection(owner, status="deploying", health=before)
    deployment: Deployment = make_deployment(connection, status="running", to_version=CURRENT)
    transitions.mark_deploy_failed(
        deployment, category=code, message=CATEGORIES[code].message_for()
    )
    connection.refresh_from_db()
    assert connection.status == "error"
    assert connection.health in (Health.DEGRADED, Health.UNHEALTHY)
    assert connection.health_reason == code
    if not CATEGORIES[code].retryable:
        assert connection.health == Health.UNHEALTHY  # waiting cannot heal it


def test_a_disconnect_leaves_no_health(owner: User) -> None:
    connection = make_connection(owner, health=Health.HEALTHY, last_check_at=timezone.now())
    transitions.mark_disconnected(connection, actor=owner)
    connection.refresh_from_db()
    assert (connection.health, connection.last_check_at) == (Health.UNKNOWN, None)
