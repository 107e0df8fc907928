"""Status moves of data migrations, each writing one Event.

A run (`MigrationRun`) goes running -> succeeded | failed | interrupted; only a running one
moves, through a conditional UPDATE, so two processes cannot both end it. A worker writes runs
only while it holds its deploy's attempt (`byod.transitions.fence`). The connection's
`migrating_version` marks the deployment as holding the expanded schema of a version (set when
that push finishes, cleared when the version's own schema is pushed).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from byod.models import (
    Connection,
    Deployment,
    EventKind,
    MigrationDirection,
    MigrationRun,
    MigrationRunStatus,
)
from byod.transitions import fence
from byod.transitions.base import TransitionError, record

RS = MigrationRunStatus
ERROR_LIMIT = 2000


def mark_expanded(deployment: Deployment, version: int) -> None:
    """The expanded schema of `version` is pushed: the deployment's documents may now be of any
    version up to it, until the target's own schema is pushed."""
    rows = Connection.objects.filter(pk=deployment.connection_id)
    if not rows.filter(fence.on_connection(deployment)).update(migrating_version=version):
        _refuse(deployment, f"the expanded schema of v{version}")
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
    rows = Connection.objects.filter(pk=deployment.connection_id)
    updated = rows.filter(fence.on_connection(deployment), migrating_version__isnull=False).update(
        migrating_version=None
    )
    if not updated:
        _refuse(deployment, "the contracted schema")
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
    """A new running row for one migration, and its Event (only while the deploy's worker, if
    it is one, holds its attempt: checked under the deploy's row lock)."""
    if deployment is not None and not fence.holds(deployment, lock=True):
        _refuse(deployment, f"a run of migration {name}")
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
    rows = MigrationRun.objects.filter(pk=run.pk, status=RS.RUNNING).filter(_fence(run))
    writer = _worker_deploy(run)
    if not rows.update(**fields) and writer is not None:
        fence.lost(writer, f"the progress of migration {run.name}")
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


def migration_interrupted(run: MigrationRun, reason: str, *, by: Deployment | None = None) -> None:
    """The run stopped before its end (its worker died, or its deploy stopped); `by` is the
    deploy whose worker (or reaper) records it, when not the run's own."""
    _end(
        run,
        RS.INTERRUPTED,
        EventKind.MIGRATION_INTERRUPTED,
        f"{_what(run)} interrupted after {run.processed:,} documents: {reason}",
        by=by,
        error_message=reason[:ERROR_LIMIT],
    )


def close_interrupted(
    connection: Connection,
    reason: str,
    *,
    deployment: Deployment | None = None,
    by: Deployment | None = None,
) -> int:
    """End the connection's runs (not dry runs; only `deployment`'s, when given) still marked
    running: their worker died. `by` is the deploy whose worker closes them (default
    `deployment`): nothing is closed unless it holds its attempt. Returns how many."""
    closed = 0
    runs = MigrationRun.objects.filter(connection=connection).real().running()
    if deployment is not None:
        runs = runs.filter(deployment=deployment)
    for run in list(runs):
        try:
            migration_interrupted(run, reason, by=by or deployment)
        except TransitionError:
            continue
        closed += 1
    return closed


def _fence(run: MigrationRun, by: Deployment | None = None) -> Q:
    """The condition on a run's UPDATE: its writer still holds its attempt. The writer is `by`,
    else the run's deploy as the worker holds it (the instance it started the run with)."""
    writer = by or _worker_deploy(run)
    return fence.on_other(writer) if writer is not None else Q()


def _worker_deploy(run: MigrationRun) -> Deployment | None:
    # Only the instance the run was started with can hold a token; one loaded anew cannot.
    return run.deployment if MigrationRun.deployment.is_cached(run) else None


def _refuse(deployment: Deployment, what: str) -> None:
    refused = fence.refuse(deployment, what)
    if refused is not None:
        raise refused


@transaction.atomic
def _end(
    run: MigrationRun,
    to: str,
    kind: str,
    message: str,
    *,
    by: Deployment | None = None,
    **fields: Any,
) -> None:
    values = {"status": to, "finished_at": timezone.now(), **fields}
    rows = MigrationRun.objects.filter(pk=run.pk, status=RS.RUNNING).filter(_fence(run, by))
    if rows.update(**values) != 1:
        writer = by or _worker_deploy(run)
        if writer is not None:
            _refuse(writer, f"the end of migration {run.name} ({to})")
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
