"""Mails: derived from what was recorded, each sent once, none with a key, text and HTML, a
link back and an opt-out; operators get one digest per outbox sweep that found changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from byod import package
from byod.models import Connection, Deployment, Notification, NotificationStatus
from byod.schema.notes import VersionNotes
from byod.services import notify
from byod.services.deploys.run import run_deploy
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.connections import offer_to_everyone
from tests.fixtures.emulator import EmulatorDeployment
from tests.health.conftest import check


@pytest.fixture(autouse=True)
def site(settings) -> None:
    settings.BYOD_SITE_URL = "https://byod.example.com"


CURRENT = package.current_version()


def sent_to(address: str) -> list[str]:
    return [m.subject for m in mail.outbox if address in m.to]


def outbox_twice() -> None:
    """Two sweeps of the outbox: what the second finds again must not be sent again."""
    notify.run_outbox()
    notify.run_outbox()


def test_it_tells_the_user_once_that_a_version_was_applied(deployed: Connection) -> None:
    outbox_twice()
    assert sent_to("owner@example.com") == [f"Your database now runs version {CURRENT}"]
    [message] = mail.outbox
    assert "https://byod.example.com/database/" in message.body
    assert "https://byod.example.com/database/#notifications" in message.body  # the opt-out
    [(html, kind)] = message.alternatives
    assert kind == "text/html" and 'href="https://byod.example.com/database/"' in html
    assert_no_canary(message.body, html, message.subject)


def test_it_tells_the_user_once_that_a_deploy_failed_for_good(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment
) -> None:
    _, deployment = connected
    canary_deployment.set_fault("deploy2/wait_for_schema", schema_failure="messages")
    run_deploy(deployment.pk)
    outbox_twice()
    assert sent_to("owner@example.com") == [f"Deploying version {CURRENT} to your database failed"]
    assert "messages" in mail.outbox[0].body
    assert_no_canary(mail.outbox[0].body, mail.outbox[0].alternatives[0][0])


def test_it_tells_the_user_when_health_goes_and_comes_back(
    deployed: Connection, canary_deployment: EmulatorDeployment, hysteresis: None
) -> None:
    notify.run_outbox()
    canary_deployment.set_state("paused")
    check(deployed)
    outbox_twice()
    canary_deployment.set_state("running")
    check(deployed)
    check(deployed)
    outbox_twice()
    assert sent_to("owner@example.com") == [
        f"Your database now runs version {CURRENT}",
        "Your database needs attention",
        "Your database is healthy again",
    ]
    assert "Resume it in the Convex dashboard" in mail.outbox[1].body
    assert_no_canary(*(m.body for m in mail.outbox))


def test_it_tells_the_user_about_drift(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.push_foreign()
    check(deployed)
    outbox_twice()
    assert "Your database runs something other than our version" in sent_to("owner@example.com")
    drift = next(m for m in mail.outbox if "something other" in m.subject)
    assert "redeploy to fix" in drift.body


def test_it_announces_a_new_version_once(
    deployed: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    notify.run_outbox()
    new = CURRENT + 1
    monkeypatch.setattr(package, "current_version", lambda: new)
    monkeypatch.setattr(
        package.version,
        "CHANGELOG",
        {**package.version.CHANGELOG, new: VersionNotes("notes:tag (seed 002)", "tags on notes")},
    )
    outbox_twice()
    assert len(mail.outbox) == 1, "a version no rollout offered is announced to nobody"
    offer_to_everyone(new)
    outbox_twice()
    assert sent_to("owner@example.com")[-1] == f"Version {new} is available for your database"
    assert f"v{new}: tags on notes" in mail.outbox[-1].body
    assert "notes:tag" not in mail.outbox[-1].body, "users read the user notes only"
    assert len(mail.outbox) == 2


def test_it_sends_nothing_to_a_user_who_opted_out(deployed: Connection) -> None:
    Connection.objects.filter(pk=deployed.pk).update(email_notifications=False)
    outbox_twice()
    assert mail.outbox == []
    [row] = Notification.objects.all()
    assert row.status == NotificationStatus.SKIPPED


def test_operators_get_one_digest_per_sweep_that_found_changes(
    deployed: Connection,
    canary_deployment: EmulatorDeployment,
    settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.BYOD_OPERATOR_EMAILS = ["ops@example.com"]
    monkeypatch.setattr(notify, "SETTLE", timedelta(0))
    notify.run_outbox()
    assert sent_to("ops@example.com") == []  # a deploy that succeeded needs no operator
    canary_deployment.set_state("deleted")
    check(deployed)
    outbox_twice()
    [digest] = [m for m in mail.outbox if "ops@example.com" in m.to]
    assert digest.subject == "BYOD fleet: 1 health.unhealthy"
    assert "owner" in digest.body and "/admin/byod/connection/" in digest.body
    assert_no_canary(digest.body, digest.alternatives[0][0])


def test_a_claimed_notification_is_sent_by_its_claimant_only(deployed: Connection) -> None:
    notify.collect()
    Notification.objects.update(status=NotificationStatus.SENDING, claim="another-worker")
    assert notify.send_pending() == (0, 0)
    assert mail.outbox == []
