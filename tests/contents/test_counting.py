"""Counting the documents of our tables on the worker: stored in one UPDATE, one count at a
time per connection, failures recorded as a category, never part of a deploy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from byod.errors import BAD_CREDENTIALS
from byod.models import Connection
from byod.services.contents import count_documents, request_count, table_names
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = pytest.mark.django_db


def count_tasks() -> list[Any]:
    rows = DBTaskResult.objects.filter(task_path__endswith="count_documents_task")
    return [row.args_kwargs["args"] for row in rows]


def test_it_counts_every_table_of_the_deployed_version_and_stores_the_counts(
    deployed_connection: Connection,
    canary_deployment: EmulatorDeployment,
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
    time_machine: Any,
) -> None:
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    canary_deployment.insert_many("tags", [{"name": f"t{i}"} for i in range(25)])
    canary_deployment.insert_many("notes", [{"title": f"n{i}"} for i in range(3)])
    with django_capture_on_commit_callbacks(execute=True):
        assert request_count(deployed_connection) is True
    with django_assert_num_queries(2):  # read the row, then one UPDATE with everything
        counts = count_documents(deployed_connection.pk)
    names = table_names(deployed_connection.deployed_version)
    assert counts is not None and sorted(counts) == names and len(names) > 20
    assert counts["tags"] == 25 and counts["notes"] == 3 and counts["slides"] == 0
    assert counts["byodMeta"] == 1  # the version our deploy recorded there
    deployed_connection.refresh_from_db()
    assert deployed_connection.table_counts == counts
    assert deployed_connection.table_counts_at == now
    assert deployed_connection.count_requested_at is None
    assert not deployed_connection.count_is_pending


def test_a_deploy_counts_nothing(deployed_connection: Connection) -> None:
    assert deployed_connection.table_counts == {}
    assert deployed_connection.table_counts_at is None
    # No count was asked for (set at once, not on commit as the task is).
    assert deployed_connection.count_requested_at is None
    assert count_tasks() == []


def test_it_queues_one_count_at_a_time(
    deployed_connection: Connection, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert request_count(deployed_connection) is True
        assert request_count(deployed_connection) is False
    assert count_tasks() == [[deployed_connection.pk]]
    count_documents(deployed_connection.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert request_count(deployed_connection) is True  # done: a new count may start
    assert len(count_tasks()) == 2


def test_a_count_whose_worker_died_is_given_up(
    deployed_connection: Connection, django_capture_on_commit_callbacks: Any
) -> None:
    long_ago = timezone.now() - timedelta(hours=1)
    Connection.objects.filter(pk=deployed_connection.pk).update(count_requested_at=long_ago)
    deployed_connection.refresh_from_db()
    assert not deployed_connection.count_is_pending
    with django_capture_on_commit_callbacks(execute=True):
        assert request_count(deployed_connection) is True


def test_a_task_nobody_asked_for_does_nothing(deployed_connection: Connection) -> None:
    assert count_documents(deployed_connection.pk) is None
    deployed_connection.refresh_from_db()
    assert deployed_connection.table_counts_at is None


def test_a_failed_count_keeps_the_last_counts_and_records_why(
    deployed_connection: Connection,
    canary_deployment: EmulatorDeployment,
    django_capture_on_commit_callbacks: Any,
) -> None:
    request_count(deployed_connection)
    first = count_documents(deployed_connection.pk)
    deployed_connection.refresh_from_db()
    counted_at = deployed_connection.table_counts_at
    canary_deployment.set_admin_key(canary_deployment.admin_key[:-4] + "0000")
    request_count(deployed_connection)
    assert count_documents(deployed_connection.pk) is None
    deployed_connection.refresh_from_db()
    assert deployed_connection.count_error == BAD_CREDENTIALS
    assert deployed_connection.table_counts == first
    assert deployed_connection.table_counts_at == counted_at
    assert not deployed_connection.count_is_pending
