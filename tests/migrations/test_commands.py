"""byod_migrate, byod_status --migrations and the admin's migration history, as an operator
uses them."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from byod.models import Connection, MigrationRun
from byod.services import connections
from tests.fixtures.canary import assert_no_canary, self_hosted_key
from tests.fixtures.emulator import Emulator, EmulatorDeployment
from tests.fixtures.people import make_user
from tests.migrations.helpers import deploy, without_system_fields
from tests.migrations.sample import BOOM, v1_message

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def two_on_v1(
    convex_emulator: Emulator, allow_emulator_hosts: None, use_sample: Callable[[int], None]
) -> Iterator[list[tuple[Connection, EmulatorDeployment]]]:
    """Users `alice` and `bob` on the sample's v1 with 300 messages each; bob's include one
    the v2 migration refuses. The package is at v2."""
    use_sample(1)
    made = []
    for name in ("alice", "bob"):
        dep_name = f"{name}-{secrets.token_hex(3)}"
        dep = convex_emulator.create_deployment(
            dep_name, admin_key=self_hosted_key(dep_name), backfill_ms=0
        )
        user = make_user(name)
        connection = connections.connect(user, dep.url, dep.admin_key, actor=user)
        assert deploy(connection).status == "succeeded"
        dep.insert_many("messages", [v1_message(i) for i in range(300)])
        made.append((connection, dep))
    made[1][1].insert("messages", v1_message(300, body=f"{BOOM} here"))
    use_sample(2)
    yield made
    for _, dep in made:
        convex_emulator.delete_deployment(dep.name)


def run(*args: str) -> tuple[str, str]:
    # One at a time: the in-memory test database is not shared across threads.
    out, err = StringIO(), StringIO()
    call_command("byod_migrate", *args, "--concurrency", "1", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_byod_migrate_dry_run_counts_and_writes_nothing(
    owner: User, canary_deployment: EmulatorDeployment, use_sample: Callable[[int], None]
) -> None:
    use_sample(2)
    connection = connections.connect(
        owner, canary_deployment.url, canary_deployment.admin_key, actor=owner
    )
    assert deploy(connection).status == "succeeded"
    canary_deployment.insert_many(
        "messages",
        [
            {"conversationId": "c", "content": f"m {i}", "role": "user", "createdAt": i,
             "sentAt": i, "wordCount": 2}
            for i in range(400)
        ],
    )  # fmt: skip
    before = canary_deployment.documents("messages")
    use_sample(3)

    out, _ = run("--user", "owner", "--dry-run")

    assert "v3:message-preview" in out and "400 of 400 documents would change" in out
    assert "1/1 done, 0 failed" in out
    assert "Dry run of 1 connection(s): 1 of 1 migration(s) counted; nothing was written." in out
    assert canary_deployment.documents("messages") == before
    connection.refresh_from_db()
    assert connection.deployed_version == 2 and connection.migrating_version is None
    assert_no_canary(out)


def test_byod_migrate_runs_each_connections_migrations_and_fails_loudly(
    two_on_v1: list[tuple[Connection, EmulatorDeployment]],
) -> None:
    (alice, alice_dep), (bob, bob_dep) = two_on_v1
    bad = next(d["_id"] for d in bob_dep.documents("messages") if BOOM in d["body"])

    with pytest.raises(CommandError, match="1 of 2 connection"):
        run("--all")
    out, _ = run("--user", "alice")  # nothing left for alice: says so
    assert "alice: nothing to migrate for v2." in out

    alice.refresh_from_db()
    bob.refresh_from_db()
    assert alice.deployed_version == 2 and bob.migrating_version == 2
    assert all("content" in without_system_fields(d) for d in alice_dep.documents("messages"))
    failed = MigrationRun.objects.get(connection=bob)
    assert failed.status == "failed" and failed.failed_document_id == bad


def test_byod_migrate_prints_a_summary_per_migration(
    two_on_v1: list[tuple[Connection, EmulatorDeployment]], capsys: pytest.CaptureFixture[str]
) -> None:
    (_, _), (_, bob_dep) = two_on_v1
    bad = next(d["_id"] for d in bob_dep.documents("messages") if BOOM in d["body"])
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("byod_migrate", "--all", "--concurrency", "1", stdout=out)
    text = out.getvalue()
    assert "2/2 done, 1 failed" in text
    alice_line = next(line for line in text.splitlines() if line.startswith("alice"))
    words = [w for w in alice_line.split() if not w.startswith("#")]
    assert words[:5] == ["alice", "v2:message-shape", "messages", "succeeded", "300"]
    bob_line = next(line for line in text.splitlines() if line.startswith("bob"))
    assert "failed" in bob_line and f"document {bad}" in bob_line


def test_byod_status_prints_the_migration_history(
    two_on_v1: list[tuple[Connection, EmulatorDeployment]],
) -> None:
    with pytest.raises(CommandError):
        run("--all")
    out = StringIO()
    call_command("byod_status", "--migrations", stdout=out)
    text = out.getvalue()
    assert "v2:message-shape succeeded" in text  # alice's last migration, in the table
    assert "v2:message-shape failed" in text  # bob's
    assert "Migrations of alice:" in text and "Migrations of bob:" in text
    assert "300 of about 300" in text and "document " in text


def test_the_admin_lists_migration_runs_with_filters(
    two_on_v1: list[tuple[Connection, EmulatorDeployment]], staff: User
) -> None:
    with pytest.raises(CommandError):
        run("--all")
    client = Client()
    client.force_login(staff)
    url = reverse("admin:byod_migrationrun_changelist")
    failed = client.get(url + "?status__exact=failed")
    assert failed.status_code == 200
    assert [r.connection.user.username for r in failed.context["cl"].result_list] == ["bob"]
    by_version = client.get(url + "?version__exact=2")
    assert len(by_version.context["cl"].result_list) == 2
    assert client.get(url + "?version__exact=3").context["cl"].result_list.count() == 0
    page = client.get(
        reverse("admin:byod_migrationrun_change", args=[failed.context["cl"].result_list[0].pk])
    )
    assert page.status_code == 200 and b"cannot count the words" in page.content


def test_byod_migrate_writes_no_log_line_into_its_report(
    two_on_v1: list[tuple[Connection, EmulatorDeployment]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    both = StringIO()  # stdout and stderr in the order they were written
    with pytest.raises(CommandError):
        call_command("byod_migrate", "--all", "--concurrency", "1", stdout=both, stderr=both)
    assert not [r for r in caplog.records if r.name.startswith("byod.")], "no line in between"
    lines = both.getvalue().splitlines()
    table = [i for i, line in enumerate(lines) if line.startswith(("user ", "alice", "bob"))]
    assert table == list(range(table[0], table[0] + 3)), "the table is in one piece"
    assert all(" INFO " not in line for line in lines)
