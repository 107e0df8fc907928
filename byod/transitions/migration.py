"""Status moves of data migrations, each writing one Event.

A run (`MigrationRun`) goes running -> succeeded | failed | interrupted; only a running one
moves, through a conditional UPDATE, so two processes cannot both end it. The connection's
`migrating_version` marks the deployment as holding the expanded schema of a version (set when
that push finishes, cleared when the version's own schema is pushed).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from byod.models import (
    Connection,
    Deployment,
    EventKind,
    MigrationDirection,
    MigrationRun,
    MigrationRunStatus,
)
from byod.transitions.base import TransitionError, record

RS = MigrationRunStatus
ERROR_LIMIT = 2000


def mark_expanded(deployment: Deployment, version: int) -> None:
    """The expanded schema of `version` is pushed: the deployment's documents may now be of any
    version up to it, until the target's own schema is pushed."""
    Connection.objects.filter(pk=deployment.connection_id).update(migrating_version=version)
    deployment.connection.migrating_version = version
    record(
        deployment.connection,
        EventKind.MIGRATION_EXPANDED,
        f"Pushed the expanded schema of v{version}: the deployment accepts old and new "
        "documents while the data migrations run.",
        deployment=deployment,
        data={"version": version},
    )


def mark_contracted(deployment: Deployment) -> None:
    """The target's own schema is pushed after migrations: the expanded schema is gone."""
    updated = Connection.objects.filter(
        pk=deployment.connection_id, migrating_version__isnull=False
    ).update(migrating_version=None)
    deployment.connection.migrating_version = None
    if updated:
        record(
            deployment.connection,
            EventKind.MIGRATION_CONTRACTED,
            f"Pushed v{deployment.to_version}'s own schema: every document is migrated.",
            deployment=deployment,
            data={"version": deployment.to_version},
        )


@transaction.atomic
def migration_started(
    connection: Connection,
    *,
    version: int,
    migration_id: str,
    name: str,
    table: str,
    direction: str = MigrationDirection.UP,
    deployment: Deployment | None = None,
    dry_run: bool = False,
    total: int | None = None,
    resumed_from: int = 0,
) -> MigrationRun:
    """A new running row for one migration, and its Event."""
    run = MigrationRun.objects.create(
        connection=connection,
        deployment=deployment,
        version=version,
        migration_id=migration_id,
        name=name,
        table=table,
        direction=direction,
        dry_run=dry_run,
        total=total,
        processed=resumed_from,
        resumed_from=resumed_from,
    )
    what = "Dry run of migration" if dry_run else "Migration"
    resumed = f", resuming after {resumed_from:,} documents" if resumed_from else ""
    record(
        connection,
        EventKind.MIGRATION_STARTED,
        f"{what} {name} on {table} started{resumed}.",
        deployment=deployment,
        data={
            "run": run.pk,
            "name": name,
            "table": table,
            "direction": direction,
            "version": version,
            "dry_run": dry_run,
            "total": total,
        },
    )
    return run


def save_migration_progress(run: MigrationRun, *, processed: int, changed: int) -> None:
    """Documents read and changed so far (one batch more). Not a status move: no Event."""
    fields = {"processed": processed, "changed": changed, "batches": run.batches + 1}
    MigrationRun.objects.filter(pk=run.pk, status=RS.RUNNING).update(**fields)
    for name, value in fields.items():
        setattr(run, name, value)


def migration_succeeded(run: MigrationRun, *, processed: int, changed: int) -> None:
    _end(
        run,
        RS.SUCCEEDED,
        EventKind.MIGRATION_SUCCEEDED,
        f"{_what(run)} finished: {changed:,} of {processed:,} documents changed.",
        processed=processed,
        changed=changed,
    )


def migration_failed(run: MigrationRun, *, document_id: str, message: str) -> None:
    shown = f" at document {document_id}" if document_id else ""
    _end(
        run,
        RS.FAILED,
        EventKind.MIGRATION_FAILED,
        f"{_what(run)} failed{shown}: {message}",
        failed_document_id=document_id[:128],
        error_message=message[:ERROR_LIMIT],
    )


def migration_interrupted(run: MigrationRun, reason: str) -> None:
    _end(
        run,
        RS.INTERRUPTED,
        EventKind.MIGRATION_INTERRUPTED,
        f"{_what(run)} interrupted after {run.processed:,} documents: {reason}",
        error_message=reason[:ERROR_LIMIT],
    )


def close_interrupted(
    connection: Connection, reason: str, *, deployment: Deployment | None = None
) -> int:
    """End the connection's runs (not dry runs; only `deployment`'s, when given) still marked
    running: their worker died. Returns how many."""
    closed = 0
    runs = MigrationRun.objects.filter(connection=connection).real().running()
    if deployment is not None:
        runs = runs.filter(deployment=deployment)
    for run in list(runs):
        try:
            migration_interrupted(run, reason)
        except TransitionError:
            continue
        closed += 1
    return closed


@transaction.atomic
def _end(run: MigrationRun, to: str, kind: str, message: str, **fields: Any) -> None:
    values = {"status": to, "finished_at": timezone.now(), **fields}
    if MigrationRun.objects.filter(pk=run.pk, status=RS.RUNNING).update(**values) != 1:
        current = MigrationRun.objects.filter(pk=run.pk).values_list("status", flat=True).first()
        run.status = current or run.status
        raise TransitionError(run, to, (RS.RUNNING,))
    for name, value in values.items():
        setattr(run, name, value)
    record(
        run.connection,
        kind,
        message,
        deployment=run.deployment,
        data={
            "run": run.pk,
            "name": run.name,
            "table": run.table,
            "direction": run.direction,
            "version": run.version,
            "processed": run.processed,
            "changed": run.changed,
        },
    )


def _what(run: MigrationRun) -> str:
    return f"{'Dry run of migration' if run.dry_run else 'Migration'} {run.name} on {run.table}"
