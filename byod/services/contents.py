"""Counting the documents in the tables our package created in a user's deployment.

- `request_count` (the user's "Count documents") marks the connection as counting with one
  conditional UPDATE and enqueues `count_documents_task` after the commit. A count already
  under way is the answer: nothing more is queued. A count whose worker died is given up
  after `COUNT_STALE_AFTER` (byod.models.connection), so the button works again.
- `count_documents` (what the task runs) asks the deployment for each table's size with the
  system query the Convex CLI and dashboard use (one call per table, in order), then stores
  the counts, their time and the end of the request in one UPDATE. A failure keeps the
  previous counts and records its category, which the page turns into words.

Counting is never part of a deploy: it costs one call per table, so it runs only on request.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from byod.clients import Purpose, client_for
from byod.errors import INTERNAL_ERROR, ByodError
from byod.models import Connection
from byod.models.connection import counting_q
from byod.schema.versioning import locked_export
from byod.services import priorities

log = logging.getLogger(__name__)


@functools.cache
def package_export(version: int) -> dict[str, Any] | None:
    """The schema version `version` of our package recorded (None for a version it lacks)."""
    try:
        return locked_export(version)
    except (KeyError, FileNotFoundError, ValueError):
        return None


def table_names(version: int | None) -> list[str]:
    """The tables version `version` of our package defines, sorted (empty when unknown)."""
    export = package_export(version) if version else None
    if export is None:
        return []
    return sorted(str(t["tableName"]) for t in export["tables"])


def request_count(connection: Connection) -> bool:
    """Ask the worker to count the connection's documents. Returns False, queueing nothing,
    when a count is already under way."""
    now = timezone.now()
    claimed = (
        Connection.objects.filter(pk=connection.pk)
        .exclude(counting_q())
        .update(count_requested_at=now)
    )
    if not claimed:
        return False
    connection_id = connection.pk
    transaction.on_commit(lambda: count_documents_task.enqueue(connection_id))
    return True


def count_documents(connection_id: int) -> dict[str, int] | None:
    """Count the documents of each of our tables in the connection's deployment and store the
    counts. Returns them, or None when the count failed (its category is recorded) or when
    nothing was asked for (a duplicate task)."""
    connection = Connection.objects.select_related("user").filter(pk=connection_id).first()
    if connection is None or connection.count_requested_at is None:
        return None
    row = Connection.objects.filter(pk=connection_id)
    try:
        # The URL is checked against the allow-list again; the count's calls share a deadline.
        with client_for(connection, purpose=Purpose.COUNT) as client:
            counts = {t: client.table_size(t) for t in table_names(connection.deployed_version)}
    except ByodError as error:
        log.warning("counting the documents of connection %s failed: %s", connection_id, error)
        row.update(count_requested_at=None, count_error=error.category)
        return None
    except Exception:
        # A bug of ours: the page says so, and the task fails with the traceback.
        row.update(count_requested_at=None, count_error=INTERNAL_ERROR)
        raise
    row.update(
        table_counts=counts,
        table_counts_at=timezone.now(),
        count_requested_at=None,
        count_error="",
    )
    return counts


@task(priority=priorities.USER)  # a person waits for it
def count_documents_task(connection_id: int) -> int | None:
    """Count one connection's documents on the worker; returns the total."""
    counts = count_documents(connection_id)
    return None if counts is None else sum(counts.values())
