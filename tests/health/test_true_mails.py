"""Mails that are true when read: what stopped holding before the outbox sends it is not sent;
a fix the user was told needed doing is followed by "healthy again"; mails go to the address
the account has when they are sent; links lead where people reach the site."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from byod import package
from byod.models import Connection, Health, Notification, NotificationKind, NotificationStatus
from byod.services import notify
from byod.services.connections import update_credentials
from byod.services.deploys.run import request_deploy, run_deploy
from tests.fixtures.canary import self_hosted_key
from tests.fixtures.emulator import EmulatorDeployment
from tests.health.conftest import check

CURRENT = package.current_version()
ATTENTION = "Your database needs attention"
HEALTHY_AGAIN = "Your database is healthy again"
FAILED = f"Deploying version {CURRENT} to your database failed"


@pytest.fixture(autouse=True)
def site(settings) -> None:
    settings.BYOD_SITE_URL = "https://byod.example.com"


def subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


def told(kind: str) -> Notification:
    return Notification.objects.filter(kind=kind).latest("pk")


def revoke_and_check(connection: Connection, deployment: EmulatorDeployment) -> str:
    """The key stops working and a probe finds it; returns the new key."""
    new_key = self_hosted_key(deployment.name)
    deployment.set_admin_key(new_key)
    assert check(connection).health_reason == "bad_credentials"
    return new_key


def redeploy(connection: Connection) -> Connection:
    run_deploy(request_deploy(connection, trigger="user").pk)
    connection.refresh_from_db()
    return connection


def test_a_refused_key_fixed_before_the_mail_went_out_is_not_mailed(
    deployed: Connection, canary_deployment: EmulatorDeployment, owner
) -> None:
    notify.run_outbox()  # the version applied
    new_key = revoke_and_check(deployed, canary_deployment)
    notify.collect()  # "needs attention" is owed ...
    update_credentials(deployed, canary_deployment.url, new_key, actor=owner)  # ... and fixed
    notify.send_pending()
    assert ATTENTION not in subjects()
    row = told(NotificationKind.UNHEALTHY)
    assert (row.status, row.error) == (
        NotificationStatus.OBSOLETE,
        "not sent: not unhealthy any more",
    )
    assert check(deployed).health == Health.HEALTHY
    notify.run_outbox()
    assert HEALTHY_AGAIN not in subjects()  # nobody was told of trouble: nothing to undo


def test_a_needs_attention_mail_is_not_sent_once_a_check_passed(
    deployed: Connection, canary_deployment: EmulatorDeployment, hysteresis: None
) -> None:
    canary_deployment.set_state("paused")
    check(deployed)
    notify.collect()
    canary_deployment.set_state("running")
    assert check(deployed).health == Health.UNHEALTHY  # one pass: not trusted yet ...
    notify.send_pending()
    assert ATTENTION not in subjects()  # ... but "paused" is no longer true
    assert told(NotificationKind.UNHEALTHY).error == "not sent: a check passed since"


def test_a_fix_is_followed_by_healthy_again(
    deployed: Connection, canary_deployment: EmulatorDeployment, owner
) -> None:
    notify.run_outbox()
    new_key = revoke_and_check(deployed, canary_deployment)
    notify.run_outbox()
    assert subjects()[-1] == ATTENTION
    update_credentials(deployed, canary_deployment.url, new_key, actor=owner)
    assert check(deployed).health == Health.HEALTHY  # not checked yet -> healthy: no "recovery"
    notify.run_outbox()
    notify.run_outbox()
    assert subjects()[-2:] == [ATTENTION, HEALTHY_AGAIN]


def test_a_failed_deploy_about_the_deployment_is_followed_by_healthy_again(
    deployed: Connection, canary_deployment: EmulatorDeployment, settings
) -> None:
    settings.BYOD_DEPLOY_MAX_ATTEMPTS = 1
    notify.run_outbox()
    assert check(deployed).health == Health.HEALTHY
    canary_deployment.set_fault("deploy2/start_push", drop=True)
    assert redeploy(deployed).health == Health.DEGRADED
    notify.run_outbox()
    notify.run_outbox()  # reads the check from before the failure again: no "healthy again"
    assert subjects()[-1] == FAILED  # one mail: the deploy's (its health change is not mailed)
    canary_deployment.clear_faults()
    assert check(deployed).health == Health.HEALTHY
    notify.run_outbox()
    notify.run_outbox()
    assert subjects()[-2:] == [FAILED, HEALTHY_AGAIN]
    assert subjects().count(HEALTHY_AGAIN) == 1


def test_a_failed_deploy_mail_is_not_sent_after_a_newer_deploy(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    notify.run_outbox()
    canary_deployment.set_fault("deploy2/wait_for_schema", schema_failure="messages")
    assert redeploy(deployed).status == "error"
    notify.collect()
    canary_deployment.clear_faults()
    assert redeploy(deployed).status == "connected"
    notify.run_outbox()
    assert FAILED not in subjects()
    assert told(NotificationKind.DEPLOY_FAILED).error == "not sent: a newer deploy was started"


def test_mails_go_to_the_address_the_account_has_when_they_are_sent(
    deployed: Connection, owner
) -> None:
    notify.collect()
    owner.email = "new-address@example.com"
    owner.save()
    notify.send_pending()
    [sent] = mail.outbox
    assert sent.to == ["new-address@example.com"]
    assert told(NotificationKind.VERSION_APPLIED).recipients == ["new-address@example.com"]


def test_no_mail_once_the_address_is_gone(deployed: Connection, owner) -> None:
    notify.collect()
    owner.email = ""
    owner.save()
    notify.send_pending()
    assert mail.outbox == []
    row = told(NotificationKind.VERSION_APPLIED)
    assert (row.status, row.error) == (
        NotificationStatus.SKIPPED,
        "not sent: no address on the user's account",
    )


# --- links -----------------------------------------------------------------------------------


def test_links_lead_to_the_address_the_user_reached_the_site_at(
    deployed: Connection, owner_client: Client, settings
) -> None:
    settings.BYOD_SITE_URL = ""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "byod.internal"]
    assert owner_client.get("/database/", HTTP_HOST="byod.internal:8443").status_code == 200
    notify.run_outbox()
    [sent] = mail.outbox
    assert "http://byod.internal:8443/database/" in sent.body
    assert "127.0.0.1" not in sent.body


def test_the_setting_wins_over_the_address_of_a_visit(
    deployed: Connection, owner_client: Client, settings
) -> None:
    owner_client.get("/database/")  # http://testserver
    notify.run_outbox()
    assert "https://byod.example.com/database/" in mail.outbox[0].body


@pytest.mark.parametrize("configured", ["", "http://127.0.0.1:8000", "http://localhost:8000"])
def test_production_mails_never_link_to_a_loopback_address(
    deployed: Connection, settings, configured: str
) -> None:
    settings.DEBUG = False
    settings.BYOD_SITE_URL = configured
    Connection.objects.filter(pk=deployed.pk).update(site_url="")
    notify.run_outbox()
    [sent] = mail.outbox
    html = sent.alternatives[0][0]
    assert "127.0.0.1" not in sent.body + html and "localhost" not in sent.body + html
    assert "href" not in html
    assert "Database page of our site" in sent.body


def test_development_mails_link_to_the_development_address(deployed: Connection, settings) -> None:
    settings.DEBUG = True
    settings.BYOD_SITE_URL = ""
    Connection.objects.filter(pk=deployed.pk).update(site_url="")
    notify.run_outbox()
    assert "http://127.0.0.1:8000/database/" in mail.outbox[0].body
