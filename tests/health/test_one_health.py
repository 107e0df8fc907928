"""One health: a deploy that meets a refused key, a paused or missing deployment, or no answer
tells health at once, by the probes' rule; a redeploy that repairs drift clears it; new
credentials forget every trace of the old checks. The page and the admin say the same."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from byod import package
from byod.models import Connection, Event, Health, HealthSource
from byod.services.connections import disconnect, update_credentials
from byod.services.deploys.run import request_deploy, run_deploy
from tests.fixtures.canary import self_hosted_key
from tests.fixtures.emulator import EmulatorDeployment
from tests.health.conftest import check

PAGE = "/database/"
CHANGELIST = reverse("admin:byod_connection_changelist")
CURRENT = package.current_version()


def redeploy(connection: Connection) -> Connection:
    """A deploy of the recorded version, run here to its end; the connection fresh."""
    deployment = request_deploy(connection, trigger="user", version=connection.deployed_version)
    run_deploy(deployment.pk)
    connection.refresh_from_db()
    return connection


def health_kinds(connection: Connection) -> list[str]:
    events = Event.objects.filter(connection=connection, kind__startswith="health.")
    return list(events.order_by("pk").values_list("kind", flat=True))


def versions(html: str) -> str:
    found = re.search(r'<dd class="versions">(.*?)</dd>', html, re.S)
    assert found, "no version on the page"
    return found.group(1)


def badge(html: str) -> str:
    found = re.search(r'class="badge [a-z]+ health-badge">([^<]+)<', html)
    assert found, "no health badge on the page"
    return found.group(1)


def admin_health(staff_client: Client) -> tuple[str, dict[str, int]]:
    response = staff_client.get(CHANGELIST)
    [row] = response.context["cl"].result_list
    summary = response.context["summary"]
    counts = {k: summary[k] for k in ("healthy", "degraded", "unhealthy", "never_checked")}
    return response.context["cl"].model_admin.health_display(row), counts


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("revoked", "bad_credentials"),
        ("paused", "paused"),
        ("deleted", "deployment_not_found"),
    ],
)
def test_a_deploy_that_meets_a_broken_deployment_makes_it_unhealthy_at_once(
    deployed: Connection,
    canary_deployment: EmulatorDeployment,
    owner_client: Client,
    staff_client: Client,
    fault: str,
    reason: str,
) -> None:
    assert check(deployed).health == Health.HEALTHY
    if fault == "revoked":
        canary_deployment.set_admin_key(self_hosted_key(canary_deployment.name))
    else:
        canary_deployment.set_state(fault)
    failed = redeploy(deployed)
    assert (failed.status, failed.last_error_category) == ("error", reason)
    assert (failed.health, failed.health_reason) == (Health.UNHEALTHY, reason)
    assert failed.health_source == HealthSource.DEPLOY
    [made] = Event.objects.filter(connection=failed, kind="health.unhealthy")
    assert made.deployment is not None and made.data["source"] == "deploy"
    html = owner_client.get(PAGE).content.decode()
    assert badge(html) == "unhealthy"
    assert "Your deploy key is accepted" not in html
    assert "the last one a deploy" in html
    assert "A deploy found your deployment unhealthy." in html  # the history says who found it
    said, counts = admin_health(staff_client)
    assert said.startswith("Unhealthy: ") and said.endswith("(found by a deploy)")
    assert counts == {"healthy": 0, "degraded": 0, "unhealthy": 1, "never_checked": 0}


def test_a_deploy_that_gets_no_answer_after_its_retries_degrades_health(
    deployed: Connection,
    canary_deployment: EmulatorDeployment,
    owner_client: Client,
    settings,
) -> None:
    settings.BYOD_DEPLOY_MAX_ATTEMPTS = 1  # its retries are spent at once
    assert check(deployed).health == Health.HEALTHY
    canary_deployment.set_fault("deploy2/start_push", drop=True)
    failed = redeploy(deployed)
    assert (failed.status, failed.last_error_category) == ("error", "unreachable")
    assert (failed.health, failed.health_reason) == (Health.DEGRADED, "unreachable")
    html = owner_client.get(PAGE).content.decode()
    assert badge(html) == "degraded"
    assert "A deploy failed (Unreachable)" in html
    assert "Your deploy key is accepted" not in html


def test_a_deploy_that_fails_for_what_the_deployment_holds_leaves_health_alone(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    assert check(deployed).health == Health.HEALTHY
    canary_deployment.set_fault("deploy2/wait_for_schema", schema_failure="messages")
    failed = redeploy(deployed)
    assert (failed.status, failed.last_error_category) == ("error", "existing_data_conflict")
    assert (failed.health, failed.health_source) == (Health.HEALTHY, HealthSource.CHECK)
    assert health_kinds(failed) == ["health.healthy"]


def test_the_redeploy_that_repairs_drift_clears_it(
    deployed: Connection,
    canary_deployment: EmulatorDeployment,
    owner_client: Client,
    staff_client: Client,
    hysteresis: None,
) -> None:
    canary_deployment.push_foreign()
    drifted = check(deployed)
    assert (drifted.health, drifted.health_reason) == (Health.UNHEALTHY, "drift")
    html = owner_client.get(PAGE).content.decode()
    said = versions(html)  # it does not run our version: nothing of ours is up to date
    assert "up to date" not in said and "it now runs something else" in said
    assert "up to date" not in admin_health_row_version(staff_client)
    repaired = redeploy(drifted)
    assert repaired.status == "connected"
    assert (repaired.health, repaired.health_reason) == (Health.HEALTHY, "")
    assert health_kinds(repaired)[-1] == "health.recovered"
    html = owner_client.get(PAGE).content.decode()
    assert badge(html) == "healthy" and "Drift" not in html
    assert f"Running version {CURRENT}" in versions(html) and "up to date" in versions(html)
    assert "The last deploy reached your deployment" in html
    assert check(repaired).health == Health.HEALTHY  # and the probes agree


def admin_health_row_version(staff_client: Client) -> str:
    response = staff_client.get(CHANGELIST)
    [row] = response.context["cl"].result_list
    return str(response.context["cl"].model_admin.version_display(row))


def test_new_credentials_leave_no_trace_of_the_old_checks_on_the_page(
    deployed: Connection, canary_deployment: EmulatorDeployment, owner_client: Client, owner
) -> None:
    owner_client.post("/database/health/check/")  # asked, and answered below
    check(deployed)
    canary_deployment.set_state("paused")
    checked = check(deployed)
    assert checked.last_check_at is not None and checked.health == Health.UNHEALTHY
    canary_deployment.set_state("running")
    new_key = self_hosted_key(canary_deployment.name)
    canary_deployment.set_admin_key(new_key)
    update_credentials(checked, canary_deployment.url, new_key, actor=owner)
    checked.refresh_from_db()
    fields = ("health", "last_check_at", "last_check_ms", "check_requested_at", "health_source")
    assert [getattr(checked, f) for f in fields] == [Health.UNKNOWN, None, None, None, ""]
    assert checked.consecutive_failures == 0
    Connection.objects.filter(pk=checked.pk).update(status="connected")  # as after its deploy
    html = owner_client.get(PAGE).content.decode()
    assert "No check has run yet" in html
    assert re.search(r'class="last-check">not checked yet<', html)
    assert "Checking now" not in html


def test_a_disconnect_forgets_health_and_a_reconnect_starts_unchecked(
    deployed: Connection, canary_deployment: EmulatorDeployment, owner_client: Client, owner
) -> None:
    check(deployed)
    gone = disconnect(deployed, actor=owner)
    gone.refresh_from_db()
    assert (gone.health, gone.last_check_at) == (Health.UNKNOWN, None)
    update_credentials(gone, canary_deployment.url, canary_deployment.admin_key, actor=owner)
    gone.refresh_from_db()
    assert (gone.health, gone.last_check_at) == (Health.UNKNOWN, None)
