"""The real package's v1 -> v2 upgrade on a deployment full of v1 data."""

from __future__ import annotations

import pytest

from accounts.models import User
from byod import builds
from byod.models import ConnectionStatus, Event, MigrationRun
from byod.schema.versioning import locked_export
from byod.services import connections
from tests.fixtures.emulator import EmulatorDeployment
from tests.migrations.helpers import call, deploy, runner_state

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CONVERSATIONS, MEMORIES = 2400, 900


def v1_conversation(i: int) -> dict[str, object]:
    doc: dict[str, object] = {"userId": f"user-{i % 7}", "createdAt": i, "updatedAt": i}
    if i % 5 == 0:
        doc["isArchived"] = True  # set by v1 writers: a backfill keeps it
    if i % 11 == 0:
        doc["isPinned"] = True
    return doc


def v1_memory(i: int) -> dict[str, object]:
    doc: dict[str, object] = {
        "userId": "u",
        "content": f"memory {i}",
        "createdAt": i,
        "updatedAt": i,
    }
    if i % 4 == 0:
        doc["isActive"] = False
    return doc


def test_it_upgrades_v1_data_to_v2_with_no_action_from_the_user(
    owner: User, canary_deployment: EmulatorDeployment
) -> None:
    connection = connections.connect(
        owner, canary_deployment.url, canary_deployment.admin_key, actor=owner
    )
    connection.deployments.get().delete()  # connect queued the current version; start from v1
    first = deploy(connection, version=1)
    assert first.status == "succeeded", first.error_message
    canary_deployment.insert_many(
        "conversations", [v1_conversation(i) for i in range(CONVERSATIONS)]
    )
    canary_deployment.insert_many("memories", [v1_memory(i) for i in range(MEMORIES)])
    canary_deployment.insert_many(
        "messages",
        [
            {
                "conversationId": "x",
                "userId": "u",
                "role": "user",
                "content": "hi",
                "createdAt": 1,
                "updatedAt": 1,
            }
        ],
    )

    upgrade = deploy(connection, version=2)

    assert upgrade.status == "succeeded", (upgrade.error_message, upgrade.log)
    assert connection.status == ConnectionStatus.CONNECTED
    assert connection.deployed_version == 2 and connection.migrating_version is None
    conversations = canary_deployment.documents("conversations")
    assert len(conversations) == CONVERSATIONS
    by_time = sorted(conversations, key=lambda d: d["createdAt"])
    assert [d["isArchived"] for d in by_time] == [i % 5 == 0 for i in range(CONVERSATIONS)]
    assert [d["isPinned"] for d in by_time] == [i % 11 == 0 for i in range(CONVERSATIONS)]
    memories = sorted(canary_deployment.documents("memories"), key=lambda d: d["createdAt"])
    assert [d["isActive"] for d in memories] == [i % 4 != 0 for i in range(MEMORIES)]
    # The deployment runs v2's own schema (not the expanded one) and says so.
    assert builds.package_hash(2) == connection.deployed_package_hash
    assert canary_deployment.active_schema() == locked_export(2)
    assert call(canary_deployment, "query", "meta:get")["schemaVersion"] == 2
    # Expand -> migrate -> contract, in that order, each push finished.
    pushes = [p for p in canary_deployment.pushes() if p["status"] == "finished"]
    assert len(pushes) == 3  # v1, v2 expanded, v2
    # History, per migration, like Flyway's.
    runs = {r.name: r for r in MigrationRun.objects.filter(connection=connection)}
    assert set(runs) == {"v2:conversation-flags", "v2:memory-active"}
    flags = runs["v2:conversation-flags"]
    assert (flags.status, flags.processed, flags.total, flags.version) == (
        "succeeded",
        CONVERSATIONS,
        CONVERSATIONS,
        2,
    )
    assert flags.changed == sum(1 for i in range(CONVERSATIONS) if not (i % 5 == 0 and i % 11 == 0))
    assert runs["v2:memory-active"].changed == MEMORIES - MEMORIES // 4 - (MEMORIES % 4 > 0)
    state = runner_state(canary_deployment, "v2:conversation-flags")["v2:conversation-flags"]
    assert state["isDone"] and state["processed"] == CONVERSATIONS
    kinds = list(Event.objects.filter(deployment=upgrade).values_list("kind", flat=True))
    for kind in (
        "migration.expanded",
        "migration.started",
        "migration.succeeded",
        "migration.contracted",
    ):
        assert kind in kinds
    assert [m["status"] for m in upgrade.diff_summary["migrations"]] == ["succeeded"] * 2
