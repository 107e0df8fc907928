"""Upgrading the sample package's data: v1 -> v2 with thousands of documents, skipping to v3, and
dry runs. Everything on the emulator, through the deploy service, as a worker runs it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from byod import transitions
from byod.models import Connection, MigrationRun
from byod.services import connections
from byod.services.migrations import run as migrate
from tests.fixtures.emulator import EmulatorDeployment
from tests.migrations.helpers import call, deploy, runner_state, without_system_fields
from tests.migrations.sample import SCHEMAS, v1_message

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MESSAGES = 3000


@pytest.fixture
def on_v1(
    owner: User, canary_deployment: EmulatorDeployment, use_sample: Callable[[int], None]
) -> Connection:
    """The owner connected to a deployment running the sample's v1, holding v1 messages."""
    use_sample(1)
    connection = connections.connect(
        owner, canary_deployment.url, canary_deployment.admin_key, actor=owner
    )
    first = deploy(connection)
    assert first.status == "succeeded", first.error_message
    canary_deployment.insert_many("messages", [v1_message(i) for i in range(MESSAGES)])
    return connection


def expected_v2(old: dict[str, Any]) -> dict[str, Any]:
    return {
        "conversationId": old["conversationId"],
        "content": old["body"],
        "role": "assistant" if old["role"] == "tool" else old["role"],
        "createdAt": old["createdAt"],
        "sentAt": old["createdAt"],
        "wordCount": len(old["body"].split()),
    }


def messages(dep: EmulatorDeployment) -> list[dict[str, Any]]:
    docs = sorted(dep.documents("messages"), key=lambda d: d["_creationTime"])
    return [without_system_fields(d) for d in docs]


def test_it_upgrades_v1_to_v2_with_no_user_action_and_the_page_shows_progress(
    on_v1: Connection,
    canary_deployment: EmulatorDeployment,
    use_sample: Callable[[int], None],
    owner_client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = messages(canary_deployment)
    use_sample(2)  # the operator ships v2
    seen: list[str] = []
    original = transitions.save_migration_progress

    def look_at_the_page(run: MigrationRun, **counts: int) -> None:
        original(run, **counts)
        if run.batches == 7:  # midway: what the owner's page shows now
            page = owner_client.get(reverse("byod:progress"), HTTP_HX_REQUEST="true")
            seen.append(page.content.decode())

    monkeypatch.setattr(migrate.transitions, "save_migration_progress", look_at_the_page)

    upgrade = deploy(on_v1)

    assert upgrade.status == "succeeded", (upgrade.error_message, upgrade.log)
    assert on_v1.deployed_version == 2 and on_v1.migrating_version is None
    assert messages(canary_deployment) == [expected_v2(d) for d in before]
    assert canary_deployment.active_schema() == SCHEMAS[2].export()
    assert seen, "the page was looked at midway"
    assert "Migrating messages" in seen[0]
    assert f"700 of about {MESSAGES:,}" in seen[0]
    run = MigrationRun.objects.get(connection=on_v1)
    assert (run.name, run.status, run.processed, run.changed, run.total) == (
        "v2:message-shape",
        "succeeded",
        MESSAGES,
        MESSAGES,
        MESSAGES,
    )
    assert run.batches == MESSAGES // 100
    state = runner_state(canary_deployment, "v2:message-shape")["v2:message-shape"]
    assert (state["isDone"], state["processed"], state["changed"]) == (True, MESSAGES, MESSAGES)


def test_it_skips_a_version_running_v2s_then_v3s_migrations_in_order(
    on_v1: Connection, canary_deployment: EmulatorDeployment, use_sample: Callable[[int], None]
) -> None:
    before = messages(canary_deployment)
    use_sample(3)

    upgrade = deploy(on_v1)

    assert upgrade.status == "succeeded", (upgrade.error_message, upgrade.log)
    assert on_v1.deployed_version == 3
    # v3's preview reads v2's `content` (renamed from `body`): it ran after v2's migration.
    expected = [
        {**expected_v2(d), "preview": f"{expected_v2(d)['role']}: {d['body']}"} for d in before
    ]
    assert messages(canary_deployment) == expected
    runs = MigrationRun.objects.filter(connection=on_v1).order_by("started_at", "id")
    assert [(r.name, r.status, r.changed) for r in runs] == [
        ("v2:message-shape", "succeeded", MESSAGES),
        ("v3:message-preview", "succeeded", MESSAGES),
    ]
    finished = [p for p in canary_deployment.pushes() if p["status"] == "finished"]
    assert len(finished) == 3  # v1; v3 expanded (accepting v1 to v3); v3


def v2_message(i: int) -> dict[str, Any]:
    old = v1_message(i)
    return expected_v2(old)


def test_a_dry_run_writes_nothing_and_reports_counts(
    owner: User, canary_deployment: EmulatorDeployment, use_sample: Callable[[int], None]
) -> None:
    use_sample(2)
    connection = connections.connect(
        owner, canary_deployment.url, canary_deployment.admin_key, actor=owner
    )
    assert deploy(connection).status == "succeeded"
    canary_deployment.insert_many("messages", [v2_message(i) for i in range(MESSAGES)])
    canary_deployment.insert_many("messages", [{**v2_message(0), "preview": "set already"}])
    before = messages(canary_deployment)
    pushes = canary_deployment.pushes()
    schema = canary_deployment.active_schema()
    use_sample(3)

    dry = deploy(connection, dry_run=True)

    assert dry.status == "succeeded", (dry.error_message, dry.log)
    assert messages(canary_deployment) == before
    assert canary_deployment.pushes() == pushes
    assert canary_deployment.active_schema() == schema
    assert connection.deployed_version == 2 and connection.migrating_version is None
    assert runner_state(canary_deployment, "v3:message-preview") == {}
    counted = dry.diff_summary["migrations"]
    assert [(m["name"], m["status"], m["processed"], m["changed"]) for m in counted] == [
        ("v3:message-preview", "would change", MESSAGES + 1, MESSAGES)
    ]
    run = MigrationRun.objects.get(connection=connection)
    assert (run.dry_run, run.status, run.processed, run.changed) == (
        True,
        "succeeded",
        MESSAGES + 1,
        MESSAGES,
    )
    assert call(canary_deployment, "query", "meta:get")["schemaVersion"] == 2
    assert "would change" in dry.log


def test_a_dry_run_says_what_it_cannot_count_without_the_versions_code(
    on_v1: Connection, canary_deployment: EmulatorDeployment, use_sample: Callable[[int], None]
) -> None:
    use_sample(2)  # v2's migration calls countWords, which v1's runner does not have

    dry = deploy(on_v1, dry_run=True)

    assert dry.status == "succeeded", (dry.error_message, dry.log)
    (counted,) = dry.diff_summary["migrations"]
    assert counted["status"] == "not counted"
    assert "lacks countWords (it arrives with v2)" in counted["note"]
    assert not MigrationRun.objects.filter(connection=on_v1).exists()
    assert runner_state(canary_deployment, "v2:message-shape") == {}
