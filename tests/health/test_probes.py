"""Each outcome of a probe, from a real state of an emulated deployment."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from byod import package
from byod.models import Connection, DeploymentTrigger, Event, Health
from byod.services.connections import update_credentials
from byod.services.deploys.run import run_deploy
from byod.services.health import check_batch, sweep
from tests.fixtures.canary import assert_no_canary, self_hosted_key
from tests.fixtures.emulator import EmulatorDeployment
from tests.health.conftest import check

pytestmark = pytest.mark.usefixtures("hysteresis")


def kinds(connection: Connection) -> list[str]:
    return list(
        Event.objects.filter(connection=connection, kind__startswith="health.")
        .order_by("pk")
        .values_list("kind", flat=True)
    )


def test_it_shows_no_health_before_a_first_check(deployed: Connection) -> None:
    assert deployed.health == Health.UNKNOWN
    assert deployed.last_check_at is None


def test_it_finds_a_deployed_connection_healthy(deployed: Connection) -> None:
    checked = check(deployed)
    assert checked.health == Health.HEALTHY
    assert checked.last_check_at is not None and checked.last_check_ms is not None
    assert checked.next_check_at is not None and checked.next_check_at > checked.last_check_at
    assert kinds(checked) == ["health.healthy"]


def test_it_calls_a_paused_deployment_unhealthy_at_the_first_probe(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.set_state("paused")
    checked = check(deployed)
    assert (checked.health, checked.health_reason) == (Health.UNHEALTHY, "paused")
    assert "Resume it" in checked.health_message
    assert kinds(checked) == ["health.unhealthy"]
    assert_no_canary(checked.health_message, checked.health_detail)


def test_it_calls_a_revoked_key_unhealthy_at_the_first_probe(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.set_admin_key(self_hosted_key(canary_deployment.name))
    checked = check(deployed)
    assert (checked.health, checked.health_reason) == (Health.UNHEALTHY, "bad_credentials")
    assert_no_canary(checked.health_message, checked.health_detail)


def test_it_calls_a_deleted_deployment_unhealthy_at_the_first_probe(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.set_state("deleted")
    checked = check(deployed)
    assert (checked.health, checked.health_reason) == (Health.UNHEALTHY, "deployment_not_found")


def test_it_calls_a_deployment_over_its_limits_unhealthy(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    text = "You have exceeded the free plan limits, so your deployments have been disabled."
    canary_deployment.set_fault("query", status=200, body={"status": "error", "errorMessage": text})
    checked = check(deployed)
    assert (checked.health, checked.health_reason) == (Health.UNHEALTHY, "over_quota")


def test_it_finds_drift_when_another_project_is_pushed_over_ours(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.push_foreign()
    checked = check(deployed)
    assert (checked.health, checked.health_reason) == (Health.UNHEALTHY, "drift")
    version = package.current_version()
    assert f"something other than our version {version}: redeploy to fix" in checked.health_message
    assert kinds(checked) == ["health.drift"]


def test_it_finds_drift_when_another_version_records_itself(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    record = {"schemaVersion": 99, "packageHash": "f" * 64, "deployedAt": 2**41}
    answer = httpx.post(
        canary_deployment.url + "/api/mutation",
        json={"path": "meta:record", "args": record, "format": "json"},
        headers={"Authorization": f"Convex {canary_deployment.admin_key}"},
    )
    assert answer.json()["status"] == "success"
    checked = check(deployed)
    assert checked.health_reason == "drift"
    assert "version 99" in checked.health_message


def test_it_degrades_before_it_calls_a_transient_failure_unhealthy(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.set_fault("check_admin_key", status=503)
    states = [check(deployed).health for _ in range(3)]
    assert states == [Health.DEGRADED, Health.DEGRADED, Health.UNHEALTHY]
    assert deployed.health_reason == "server_error"
    assert kinds(deployed) == ["health.degraded", "health.unhealthy"]


def test_it_needs_two_passing_probes_to_call_an_unhealthy_one_healthy(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.set_state("paused")
    assert check(deployed).health == Health.UNHEALTHY
    canary_deployment.set_state("running")
    assert check(deployed).health == Health.UNHEALTHY  # one pass: recovering, not trusted yet
    healed = check(deployed)
    assert healed.health == Health.HEALTHY
    assert (healed.health_reason, healed.health_message) == ("", "")
    assert kinds(healed) == ["health.unhealthy", "health.recovered"]


def test_one_passing_probe_ends_a_degraded_spell(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    check(deployed)
    canary_deployment.set_fault("query", drop=True, times=1)
    assert check(deployed).health == Health.DEGRADED
    assert deployed.health_reason == "unreachable"
    assert check(deployed).health == Health.HEALTHY
    assert kinds(deployed) == ["health.healthy", "health.degraded", "health.healthy"]


def test_it_backs_off_while_the_failures_go_on(
    deployed: Connection, canary_deployment: EmulatorDeployment, settings
) -> None:
    settings.BYOD_HEALTH_RETRY_SECONDS = 60
    canary_deployment.set_state("paused")
    waits = []
    for _ in range(4):
        checked = check(deployed)
        assert checked.next_check_at is not None and checked.last_check_at is not None
        waits.append((checked.next_check_at - checked.last_check_at).total_seconds())
    for wait, expected in zip(waits, [60, 120, 240, 480], strict=True):
        assert 0.8 * expected <= wait <= 1.2 * expected  # doubling, with 20% jitter


def test_an_unhealthy_connection_recovers_on_its_own_through_the_sweep(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.set_state("paused")
    assert check(deployed).health == Health.UNHEALTHY
    canary_deployment.set_state("running")
    for _ in range(2):  # the sweep keeps coming back to it, backing off
        deployed.refresh_from_db()
        assert deployed.next_check_at is not None
        later = deployed.next_check_at + timedelta(seconds=1)
        assert sweep(now=later - timedelta(seconds=2), enqueue=False) == []  # not due yet
        [claim] = sweep(now=later, enqueue=False)
        check_batch(claim)
    deployed.refresh_from_db()
    assert deployed.health == Health.HEALTHY
    assert kinds(deployed) == ["health.unhealthy", "health.recovered"]


def test_drift_is_repaired_by_a_redeploy_when_the_setting_says_so(
    deployed: Connection, canary_deployment: EmulatorDeployment, settings
) -> None:
    settings.BYOD_HEALTH_REPAIR_DRIFT = True
    canary_deployment.push_foreign()
    assert check(deployed).health_reason == "drift"
    repair = deployed.deployments.get(trigger=DeploymentTrigger.HEALTH)
    assert repair.to_version == deployed.deployed_version
    run_deploy(repair.pk)
    repair.refresh_from_db()
    assert repair.status == "succeeded", repair.error_message
    check(deployed)
    assert check(deployed).health == Health.HEALTHY
    assert kinds(deployed) == ["health.drift", "health.recovered"]


def test_drift_is_only_reported_without_the_setting(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.push_foreign()
    check(deployed)
    assert not deployed.deployments.filter(trigger=DeploymentTrigger.HEALTH).exists()


def test_new_credentials_forget_what_the_old_ones_were_found(
    deployed: Connection, canary_deployment: EmulatorDeployment, owner
) -> None:
    canary_deployment.set_state("paused")
    check(deployed)
    canary_deployment.set_state("running")
    new_key = self_hosted_key(canary_deployment.name)
    canary_deployment.set_admin_key(new_key)
    update_credentials(deployed, canary_deployment.url, new_key, actor=owner)
    deployed.refresh_from_db()
    assert (deployed.health, deployed.health_reason, deployed.next_check_at) == (
        Health.UNKNOWN,
        "",
        None,
    )
