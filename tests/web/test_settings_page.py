"""What the settings page shows in each state, as a full page and as htmx partials."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from byod import transitions
from byod.models import ConnectionStatus, Event
from byod.schema.notes import VersionNotes
from byod.transitions import record
from byod.views import words
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.connections import make_connection, make_deployment, offer_to_everyone
from tests.fixtures.people import client_for

pytestmark = [pytest.mark.django_db]
HTMX = {"HX-Request": "true"}
NOW = datetime(2026, 11, 23, 19, 22, 5, tzinfo=UTC)


def page_with(user: User, query: str) -> str:
    return client_for(user).get(reverse("byod:settings") + query).content.decode()


def page(user: User, **headers: str) -> str:
    response = client_for(user).get(reverse("byod:settings"), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_it_explains_byod_and_shows_the_form_when_not_connected(owner: User) -> None:
    html = page(owner)
    assert "Connect your own Convex deployment" in html
    assert "Settings → URL &amp; Deploy Key" in html
    assert 'type="password" name="deploy_key"' in html
    assert "Check connection" in html and "Connect and deploy" in html
    assert 'data-state="not_connected"' in html


def test_it_answers_htmx_with_the_state_panel_only(owner: User) -> None:
    html = page(owner, **HTMX)
    # A root-level <title> first: htmx sets the page title from it, per state.
    assert html.lstrip().startswith("<title>Connect your database · Database · BYOD</title>")
    assert html.count('<section id="byod-state"') == 1
    assert "<html" not in html


def test_it_shows_a_connected_deployment_without_its_key(owner: User) -> None:
    changed = timezone.now() - timedelta(days=3)
    current = importlib.import_module("byod.package").current_version()
    connection = make_connection(
        owner, key_changed_at=changed, last_deploy_at=timezone.now(), deployed_version=current
    )
    html = page(owner)
    assert 'data-state="connected"' in html
    assert "quiet-lynx-417" in html and "https://quiet-lynx-417.convex.cloud" in html
    assert "Stored encrypted, saved" in html
    assert_no_canary(html)
    assert connection.key_ciphertext[:16] not in html  # not even the ciphertext
    assert f"version {current}" in html and "up to date" in html
    for button in ("Redeploy", "Update credentials", "Disconnect"):
        assert button in html
    assert "update-banner" not in html and ">Update now</button>" not in html


def test_it_offers_an_update_with_the_changelog(
    owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = importlib.import_module("byod.package")
    monkeypatch.setattr(package.version, "CURRENT_VERSION", 3)
    monkeypatch.setattr(
        package.version,
        "CHANGELOG",
        {
            2: VersionNotes(operator="notes:add; seed 001", user="Adds notes."),
            3: VersionNotes(operator="search index on messages.body", user="Faster search."),
        },
    )
    make_connection(owner, deployed_version=1)
    offer_to_everyone(3)
    html = page(owner)
    assert "Version 1 → 3 available" in html
    assert "<strong>Version 2:</strong> Adds notes." in html
    assert "<strong>Version 3:</strong> Faster search." in html
    assert "notes:add" not in html and "seed 001" not in html, "the operators' notes stay theirs"
    assert "Update now" in html


def test_it_shows_progress_while_deploying_and_polls_for_it(owner: User, time_machine: Any) -> None:
    time_machine.move_to(NOW, tick=False)
    connection = make_connection(owner, status=ConnectionStatus.DEPLOYING, deployed_version=None)
    make_deployment(
        connection,
        status="running",
        phase="backfilling indexes",
        indexes_ready=2,
        indexes_total=5,
        attempt=1,
        started_at=NOW - timedelta(seconds=42),
    )
    html = page(owner)
    assert 'hx-get="/database/progress/" hx-trigger="every 1s"' in html
    assert "Building indexes" in html and "backfilling" not in html  # words, not phases
    assert "2 of 5 ready" in html
    assert '<dd class="elapsed">42 s</dd>' in html
    time_machine.shift(timedelta(seconds=3))  # the next poll, 3 s later
    poll = client_for(owner).get(reverse("byod:progress"), headers=HTMX)
    assert poll.status_code == 200
    body = poll.content.decode()
    assert body.lstrip().startswith('<div id="byod-progress"')
    assert "2 of 5 ready" in body
    assert '<dd class="elapsed">45 s</dd>' in body


def test_it_stops_polling_and_swaps_in_the_final_state_when_the_deploy_ends(owner: User) -> None:
    connection = make_connection(owner)
    make_deployment(connection, status="succeeded", started_at=timezone.now())
    poll = client_for(owner).get(reverse("byod:progress"), headers=HTMX)
    assert poll.status_code == 286  # htmx: stop polling (and still swap)
    assert poll["HX-Retarget"] == "#byod-state"
    assert poll["HX-Reswap"] == "outerHTML"
    assert 'data-state="connected"' in poll.content.decode()


def test_it_sends_a_progress_request_without_htmx_to_the_page(owner: User) -> None:
    response = client_for(owner).get(reverse("byod:progress"))
    assert response.status_code == 302 and response["Location"] == reverse("byod:settings")


def test_it_shows_a_retryable_error_with_a_retry_button_and_folded_details(owner: User) -> None:
    connection = make_connection(
        owner,
        status=ConnectionStatus.ERROR,
        last_error_category="timeout",
        last_error_message="Your deployment took too long to answer.",
        last_error_at=timezone.now(),
    )
    make_deployment(
        connection,
        status="failed",
        error_category="timeout",
        log="10:00:01 pushing\n10:00:31 failed: timeout: start_push: ReadTimeout (timed out)\n",
    )
    html = page(owner)
    assert "took too long to answer" in html
    assert "Retry now" in html
    # The deploy failed for good: the page must not promise a retry that is not coming.
    assert "no more retries" in html and "will retry" not in html
    assert "<title>Action needed · Database · BYOD</title>" in html
    details = html[html.index("<details>") : html.index("</details>")]
    assert "start_push: ReadTimeout" in details


def test_it_fills_in_the_categorys_message_when_none_was_recorded(owner: User) -> None:
    make_connection(owner, status=ConnectionStatus.ERROR, last_error_category="server_error")
    html = page(owner)
    panel = html[html.index('class="banner bad error-panel"') : html.index("<details>")]
    assert "If this persists, check the Convex status page." in panel
    # The title says what happened; the message below it does not say it again.
    assert panel.count("had an internal error") == 1


@pytest.mark.parametrize("code", ["unreachable", "server_error", "artifact_missing"])
def test_an_error_title_is_not_repeated_by_its_message(owner: User, code: str) -> None:
    make_connection(owner, status=ConnectionStatus.ERROR, last_error_category=code)
    html = page(owner)
    panel = html[html.index('class="banner bad error-panel"') : html.index("<details>")]
    title = words.error_title(code)
    assert panel.count(title) == 1, panel


def test_the_history_names_each_data_upgrade_once_and_says_downgraded(owner: User) -> None:
    connection = make_connection(owner, deployed_version=2)
    up = make_deployment(connection, from_version=1, to_version=2)
    for table in ("conversations", "memories"):
        run = transitions.migration_started(
            connection,
            version=2,
            migration_id=table,
            name=f"v2:{table}",
            table=table,
            deployment=up,
        )
        transitions.migration_succeeded(run, processed=0 if table == "memories" else 12, changed=3)
    back = make_deployment(connection, from_version=2, to_version=1)
    run = transitions.migration_started(
        connection,
        version=2,
        migration_id="c",
        name="v2:c",
        table="conversations",
        direction="down",
        deployment=back,
    )
    transitions.migration_succeeded(run, processed=12, changed=12)
    record(connection, "deploy.succeeded", "ok", deployment=back)
    # An event written before events named their table: its run names it.
    old = transitions.migration_started(
        connection, version=2, migration_id="m", name="v2:m", table="memories", deployment=up
    )
    transitions.migration_succeeded(old, processed=5, changed=5)
    Event.objects.filter(kind="migration.succeeded", data__run=old.pk).update(
        data={"run": old.pk, "name": "v2:m"}
    )
    html = page(owner)
    history = html[html.index('id="history"') :]
    assert history.count("Your conversations were upgraded to version 2.") == 1
    assert history.count("Your memories were upgraded to version 2.") == 2
    assert "Your conversations were downgraded to version 1." in history
    assert "Downgraded to version 1." in history
    assert "Started upgrading" not in history, "one row per upgrade, not two"
    assert "upgraded to version 1" not in history
    upgrades = html[html.index("Data upgrades") :]
    assert "0 of 0" not in upgrades
    assert "Upgraded: the table had no documents to change." in upgrades
    assert "Downgraded: 12 of 12 documents changed." in upgrades


def test_a_slow_check_reads_in_seconds(owner: User) -> None:
    make_connection(owner, health="healthy", last_check_at=timezone.now(), last_check_ms=10009)
    html = page(owner)
    assert "answered in 10 s" in html and "10009 ms" not in html


def test_it_asks_for_new_credentials_instead_of_a_retry_for_a_refused_key(owner: User) -> None:
    make_connection(owner, status=ConnectionStatus.ERROR, last_error_category="bad_credentials")
    html = page(owner)
    assert "refused the deploy key" in html
    assert "Retry now" not in html
    # The credentials form is open in the error panel, the URL filled in.
    assert html.count('action="/database/credentials/"') == 1
    assert "Save credentials" in html


def test_it_lists_the_history_in_plain_words_with_versions_and_duration(owner: User) -> None:
    connection = make_connection(owner)
    start = timezone.now() - timedelta(minutes=5)
    done = make_deployment(
        connection, status="succeeded", started_at=start, finished_at=start + timedelta(seconds=7)
    )
    failed = make_deployment(
        connection,
        status="failed",
        from_version=1,
        to_version=2,
        error_category="existing_data_conflict",
        error_message="documents in messages fail",
    )
    dry = make_deployment(connection, status="succeeded", dry_run=True, trigger="admin")
    record(connection, "deploy.succeeded", "ok", deployment=done)
    record(connection, "deploy.failed", "x", deployment=failed, data={"category": "server_error"})
    record(connection, "deploy.succeeded", "dry", deployment=dry)
    record(connection, "connection.credentials_changed", "new key", actor=owner)
    html = page(owner)
    history = html[html.index('id="history"') :]
    assert "History" in html
    assert "took 7 s" in history
    assert "v1 → v2" in history
    assert "Your deployment had an internal error" in history  # words, not the code
    assert "server_error" not in history
    assert "dry run" not in history.lower() and history.count("event-deploy-succeeded") == 1
    assert "The deploy key or URL was changed." in history


def test_it_shows_more_history_with_htmx_and_without_javascript(owner: User) -> None:
    connection = make_connection(owner)
    for _ in range(25):
        record(connection, "health.degraded", "x", data={"reason": "timeout", "to": "degraded"})
    html = page(owner)
    assert html.count("event-health-degraded") == 10
    assert 'href="/database/?history=30#history"' in html
    assert 'hx-get="/database/history/?history=30"' in html
    more = client_for(owner).get(reverse("byod:history") + "?history=30", headers=HTMX)
    assert more.content.decode().count("event-health-degraded") == 25
    assert "Show more" not in more.content.decode()
    plain = client_for(owner).get(reverse("byod:history") + "?history=30")
    assert plain["Location"] == "/database/?history=30#history"
    assert page_with(owner, "?history=30").count("event-health-degraded") == 25


def test_it_shows_the_last_success_and_a_later_failed_attempt_apart(owner: User) -> None:
    connection = make_connection(
        owner, status=ConnectionStatus.ERROR, deployed_version=None, last_error_category="timeout"
    )
    make_deployment(
        connection, status="failed", error_category="timeout", finished_at=timezone.now()
    )
    html = page(owner)
    assert "Nothing deployed yet" in html
    assert 'class="last-success">none yet' in html
    assert "Last attempt" in html


def test_it_lists_the_tables_of_the_deployed_version_and_what_versions_mean(owner: User) -> None:
    make_connection(owner, deployed_version=1)
    html = page(owner)
    assert "What is in your deployment" in html
    assert "<code>conversations</code>" in html and "<code>byodMeta</code>" in html
    assert "Version 1 is the first release" in html
    # Version 2 is built but no rollout offered it to this user: its notes are not told yet.
    assert "conversations.isArchived becomes required" not in html
    offer_to_everyone(2)
    html = page(owner)
    assert "conversations.isArchived becomes required" in html  # v2's diff, in plain words


def test_it_is_back_to_not_connected_after_a_disconnect(owner: User) -> None:
    make_connection(owner, status=ConnectionStatus.DISCONNECTED, key_ciphertext="", key_id="")
    html = page(owner)
    assert 'data-state="not_connected"' in html
    assert "You disconnected" in html and "Your data is still in" in html
    assert 'value="https://quiet-lynx-417.convex.cloud"' in html  # the last URL, prefilled


def test_it_confirms_before_disconnecting_and_says_what_happens(owner: User) -> None:
    make_connection(owner)
    html = client_for(owner).get(reverse("byod:disconnect")).content.decode()
    assert "Nothing is deleted there; we erase the key at once." in html
    assert "Keep it in my deployment" in html
    assert 'action="/database/disconnect/"' in html


def test_it_disconnects_with_htmx_and_answers_with_the_not_connected_panel(owner: User) -> None:
    make_connection(owner)
    response = client_for(owner).post(reverse("byod:disconnect"), headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#byod-state"
    assert response["HX-Push-Url"] == reverse("byod:settings")
    html = response.content.decode()
    assert 'data-state="not_connected"' in html and "erased your deploy key" in html
