"""When a migration cannot go on: a document it throws on, Convex's limits, a deploy stopped
midway, documents of an old shape written behind its back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from byod.models import Connection, ConnectionStatus, MigrationRun
from byod.services import connections
from byod.services.deploys.run import request_deploy, run_deploy
from byod.services.migrations import run as migrate
from tests.fixtures.emulator import EmulatorDeployment
from tests.migrations.helpers import call, deploy, runner_state, without_system_fields
from tests.migrations.sample import BOOM, history, v1_message

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

HALF = 1200
NAME = "v2:message-shape"


@pytest.fixture
def sample_on_v1(
    owner: User, canary_deployment: EmulatorDeployment, use_sample: Callable[[int], None]
) -> Connection:
    """The owner on the sample's v1, with no messages yet; the package is at v2."""
    use_sample(1)
    connection = connections.connect(
        owner, canary_deployment.url, canary_deployment.admin_key, actor=owner
    )
    assert deploy(connection).status == "succeeded"
    use_sample(2)
    return connection


def is_v2(doc: dict[str, Any]) -> bool:
    return {"content", "sentAt", "wordCount"} <= doc.keys() and "body" not in doc


def test_a_migration_that_throws_on_one_document_fails_naming_it_and_resumes_once_fixed(
    sample_on_v1: Connection,
    canary_deployment: EmulatorDeployment,
    owner_client: Client,
) -> None:
    canary_deployment.insert_many("messages", [v1_message(i) for i in range(HALF)])
    (bad,) = canary_deployment.insert_many("messages", [v1_message(HALF, body=f"hi {BOOM}")])
    canary_deployment.insert_many("messages", [v1_message(HALF + 1 + i) for i in range(HALF)])

    failed = deploy(sample_on_v1)

    assert failed.status == "failed"
    assert failed.error_category == "migration_failed"
    assert bad in failed.error_message and "messages" in failed.error_message
    assert sample_on_v1.status == ConnectionStatus.ERROR
    assert bad in sample_on_v1.last_error_message
    # The deployment stays on the expanded schema, which accepts every document it holds.
    assert sample_on_v1.migrating_version == 2 and sample_on_v1.pushed_version == 1
    assert canary_deployment.active_schema() == history().expanded(2).export()
    run = MigrationRun.objects.get(connection=sample_on_v1)
    assert (run.status, run.failed_document_id, run.processed) == ("failed", bad, HALF)
    assert "cannot count the words" in run.error_message
    # ... and still serves reads and writes of both shapes.
    old_id = call(canary_deployment, "mutation", "testMessages:insert", {"doc": v1_message(9999)})
    new_doc = {**v1_message(0), "content": "new", "sentAt": 1, "wordCount": 1}
    del new_doc["body"]
    new_doc["role"] = "user"
    new_id = call(canary_deployment, "mutation", "testMessages:insert", {"doc": new_doc})
    assert "body" in call(canary_deployment, "query", "testMessages:get", {"id": old_id})
    assert is_v2(call(canary_deployment, "query", "testMessages:get", {"id": new_id}))
    assert "body" in call(canary_deployment, "query", "testMessages:get", {"id": bad})
    # The owner's page says what happened, in plain words.
    page = owner_client.get(reverse("byod:settings")).content.decode()
    assert bad in page and "Stopped at document" in page

    # The document is fixed; deploying again goes on from where it stopped.
    call(canary_deployment, "mutation", "testMessages:patch", {"id": bad, "fields": {"body": "hi"}})
    retried = deploy(sample_on_v1)

    assert retried.status == "succeeded", (retried.error_message, retried.log)
    docs = [without_system_fields(d) for d in canary_deployment.documents("messages")]
    assert len(docs) == 2 * HALF + 3 and all(is_v2(d) for d in docs)
    assert sample_on_v1.deployed_version == 2 and sample_on_v1.migrating_version is None
    runs = MigrationRun.objects.filter(connection=sample_on_v1).order_by("id")
    assert [(r.status, r.resumed_from) for r in runs] == [("failed", 0), ("succeeded", HALF)]
    state = runner_state(canary_deployment, NAME)[NAME]
    # Each document was read once in effect: the retry did not start over.
    assert state["processed"] == 2 * HALF + 3
    assert state["changed"] == 2 * HALF + 2  # the new-shape probe needed nothing


def test_a_batch_over_convexs_write_limit_is_made_smaller(
    sample_on_v1: Connection, canary_deployment: EmulatorDeployment, settings: Any
) -> None:
    settings.BYOD_MIGRATION_BATCH_SIZE = 100
    canary_deployment.insert_many("messages", [v1_message(i) for i in range(300)])
    # 100 (or 50) documents replaced plus the progress row is more than 40 writes; 25 + 1 is not.
    canary_deployment.set_transaction_limits({"documentsWritten": 40})

    upgrade = deploy(sample_on_v1)

    assert upgrade.status == "succeeded", (upgrade.error_message, upgrade.log)
    assert "batch over Convex's limits; batch size now 50" in upgrade.log
    assert "batch size now 25" in upgrade.log
    assert all(is_v2(without_system_fields(d)) for d in canary_deployment.documents("messages"))
    assert MigrationRun.objects.get(connection=sample_on_v1).batches == 300 // 25


def test_a_deploy_superseded_mid_migration_stops_before_the_next_batch_then_resumes(
    sample_on_v1: Connection,
    canary_deployment: EmulatorDeployment,
    owner: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    canary_deployment.insert_many("messages", [v1_message(i) for i in range(1000)])
    first = request_deploy(sample_on_v1, trigger="admin")
    original = migrate.transitions.save_migration_progress

    def supersede_after_three_batches(run: MigrationRun, **counts: int) -> None:
        original(run, **counts)
        if run.batches == 3 and run.deployment_id == first.pk:
            # New credentials (the same deployment's) supersede the running deploy.
            connections.update_credentials(
                sample_on_v1, canary_deployment.url, canary_deployment.admin_key, actor=owner
            )

    monkeypatch.setattr(
        migrate.transitions, "save_migration_progress", supersede_after_three_batches
    )
    run_deploy(first.pk)

    first.refresh_from_db()
    assert first.status == "superseded"
    assert "stopped before the next batch" in first.log
    stopped = MigrationRun.objects.get(deployment=first)
    assert (stopped.status, stopped.processed) == ("interrupted", 300)
    assert runner_state(canary_deployment, NAME)[NAME]["processed"] == 300

    successor = sample_on_v1.deployments.active().get()
    run_deploy(successor.pk)

    successor.refresh_from_db()
    assert successor.status == "succeeded", (successor.error_message, successor.log)
    resumed = MigrationRun.objects.get(deployment=successor)
    assert (resumed.status, resumed.resumed_from, resumed.processed) == ("succeeded", 300, 1000)
    assert runner_state(canary_deployment, NAME)[NAME]["processed"] == 1000


def test_old_documents_written_after_their_migration_are_migrated_again_before_contract(
    sample_on_v1: Connection, canary_deployment: EmulatorDeployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary_deployment.insert_many("messages", [v1_message(i) for i in range(250)])
    original = migrate.run_steps
    calls: list[int] = []

    def then_an_import_writes_an_old_document(*args: Any, **kwargs: Any) -> Any:
        done = original(*args, **kwargs)
        calls.append(1)
        if len(calls) == 1:
            canary_deployment.insert("messages", v1_message(7777))
        return done

    monkeypatch.setattr(migrate, "run_steps", then_an_import_writes_an_old_document)

    upgrade = deploy(sample_on_v1)

    assert upgrade.status == "succeeded", (upgrade.error_message, upgrade.log)
    assert len(calls) == 2
    assert "migrating again" in upgrade.log
    docs = [without_system_fields(d) for d in canary_deployment.documents("messages")]
    assert len(docs) == 251 and all(is_v2(d) for d in docs)
