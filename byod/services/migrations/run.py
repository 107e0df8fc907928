"""Running data migrations from the worker: batch after batch, progress saved, resumable.

A deploy whose plan has migrations (`byod.services.migrations.plan`) pushes the expanded schema,
then calls `run_steps`: for each migration, the runner in the deployment
(`migrations:runBatch`) migrates one batch of documents and saves its cursor in the same
transaction, so the deployment always knows where to go on. We save what each batch reports
(documents read and changed) in the connection's history (`MigrationRun`), and before every
batch call `keep_going`, which renews the lease and raises if the deploy was cancelled or
superseded meanwhile. A crash or a lost lease leaves the cursor in the deployment: the next
attempt resumes there, so each document is migrated once in effect (and every step is
idempotent, should a batch ever run twice). The first document a migration cannot handle stops
it: the run, the deploy and the page name the table, the document and the error.

A batch that exceeds Convex's per-transaction limits is halved and tried again. `dry_run_steps`
counts what would change with the runner's query (`migrations:dryRunBatch`): nothing written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from byod import transitions
from byod.client import ConvexClient
from byod.clients import Purpose, client_for
from byod.conf import conf
from byod.errors import MIGRATION_FAILED, PROTOCOL_ERROR, ByodError, ConvexError, clip
from byod.models import Connection, Deployment, DeployPhase, MigrationRun, MigrationRunStatus
from byod.services.migrations.plan import Plan, Step, plan

log = logging.getLogger(__name__)

# Renews the lease and shows the phase (and what it is about); raises to stop.
KeepGoing = Callable[[DeployPhase, str], None]
DRY_RUN_BATCH = 500


@dataclass
class Outcome:
    """How one migration went, for logs and command summaries."""

    name: str
    table: str
    status: str
    processed: int = 0
    changed: int = 0
    total: int | None = None
    note: str = ""


# --- what a connection's documents are --------------------------------------------------------


def data_version(connection: Connection, client: ConvexClient) -> int | None:
    """The version of the deployment's documents: the last one pushed with its own schema, else
    the verified one, else what the deployment itself recorded (a deployment we lost track
    of); None for a fresh one."""
    if connection.pushed_version is not None:
        return connection.pushed_version
    if connection.deployed_version is not None or connection.migrating_version is not None:
        return connection.deployed_version
    try:
        recorded = client.package_meta()
    except ByodError as error:
        if error.retryable:
            raise
        return None  # no meta functions (a fresh deployment), or paused: nothing we know of
    version = recorded.get("schemaVersion") if isinstance(recorded, dict) else None
    return int(version) if isinstance(version, int | float) else None


def plan_for(connection: Connection, client: ConvexClient, to_version: int) -> Plan:
    return plan(data_version(connection, client), connection.migrating_version, to_version)


# --- running ----------------------------------------------------------------------------------


def run_steps(
    client: ConvexClient, deployment: Deployment, todo: Plan, keep_going: KeepGoing
) -> list[Outcome]:
    """Run the plan's migrations in order (the expanded schema is already pushed). Raises
    ByodError `migration_failed` at the first document a migration cannot handle."""
    connection = deployment.connection
    transitions.close_interrupted(
        connection,
        f"its worker stopped; attempt {deployment.attempt} goes on from the saved cursor.",
        by=deployment,
    )
    if todo.reset_names:
        keep_going(DeployPhase.PREPARING_MIGRATIONS, "")
        client.mutation("migrations:reset", {"names": list(todo.reset_names)})
    rows = client.query("migrations:status", {"names": [s.name for s in todo.steps]})
    saved = {row["name"]: row for row in rows or [] if isinstance(row, dict)}
    size = conf().migration_batch_size
    outcomes = []
    for step in todo.steps:
        outcome, size = _run_one(client, deployment, step, saved.get(step.name), keep_going, size)
        outcomes.append(outcome)
    return outcomes


def _run_one(
    client: ConvexClient,
    deployment: Deployment,
    step: Step,
    saved: dict[str, Any] | None,
    keep_going: KeepGoing,
    size: int,
) -> tuple[Outcome, int]:
    if saved is not None and saved.get("isDone"):
        _record_done(deployment, step, saved)
        return Outcome(step.name, step.table, "already done", *_counts(saved)), size
    keep_going(DeployPhase.COUNTING, step.table)
    total = client.table_size(step.table)  # one call, as the dashboard counts
    resumed = _counts(saved)[0] if saved else 0
    run = _started(deployment.connection, step, deployment, total=total, resumed_from=resumed)
    _log(deployment, f"migration {step.name} on {step.table}: {run.progress_text} documents")
    try:
        while True:
            keep_going(DeployPhase.MIGRATING, f"{step.table}: {run.progress_text}")
            try:
                result = _batch(client, step, size)
            except ConvexError as error:
                if _over_limit(error) and size > 1:
                    size = max(1, size // 2)
                    _log(deployment, f"batch over Convex's limits; batch size now {size}")
                    continue
                raise
            if result["status"] == "failed":
                raise _failed(run, step, result)
            processed, changed = _counts(result)
            transitions.save_migration_progress(run, processed=processed, changed=changed)
            if result["status"] == "done":
                transitions.migration_succeeded(run, processed=processed, changed=changed)
                _log(deployment, f"migration {step.name}: {changed:,} of {processed:,} changed")
                return Outcome(step.name, step.table, "succeeded", processed, changed, total), size
    except BaseException as error:
        _end_unfinished(run, error)
        raise


def _batch(client: ConvexClient, step: Step, size: int) -> dict[str, Any]:
    args = {"name": step.name, "table": step.table, "ops": step.ops, "batchSize": size}
    result = client.mutation("migrations:runBatch", args)
    if not isinstance(result, dict) or result.get("status") not in ("more", "done", "failed"):
        raise ConvexError(PROTOCOL_ERROR, f"migrations:runBatch answered {str(result)[:200]}")
    return result


def _failed(run: MigrationRun, step: Step, result: dict[str, Any]) -> ByodError:
    document = str(result.get("documentId") or "")
    message = clip(str(result.get("error") or "(no message)"), 1000)
    transitions.migration_failed(run, document_id=document, message=message)
    user_message = (
        f"Upgrading the documents of your table {step.table} stopped at document {document}: "
        f"{clip(message, 300)} Nothing was lost: meanwhile your deployment accepts both the "
        "old and the new form of its documents. Fix or remove that document, then deploy "
        "again; the upgrade goes on from where it stopped."
    )
    return ByodError(
        MIGRATION_FAILED,
        f"{step.name} on {step.table} failed at document {document}: {message}",
        user_message=user_message,
        table=step.table,
    )


def _end_unfinished(run: MigrationRun, error: BaseException) -> None:
    """A run left running by an exception: failed for good, or interrupted (to resume)."""
    if run.status != MigrationRunStatus.RUNNING:
        return
    try:
        if isinstance(error, ByodError) and not error.retryable:
            transitions.migration_failed(run, document_id="", message=error.detail)
        elif isinstance(error, ByodError):
            transitions.migration_interrupted(run, f"{error.category}: {error.detail}")
        else:
            where = getattr(error, "where", None)  # push.Stopped: cancelled or superseded
            reason = f"the deploy stopped {where}" if where else type(error).__name__
            transitions.migration_interrupted(run, reason)
    except transitions.TransitionError:
        pass


def _record_done(deployment: Deployment, step: Step, saved: dict[str, Any]) -> None:
    """The deployment says the migration is done (an earlier attempt finished it, maybe just
    before its worker died): make sure the history says so too."""
    history = MigrationRun.objects.filter(connection=deployment.connection, name=step.name)
    if history.real().filter(status=MigrationRunStatus.SUCCEEDED).exists():
        return
    processed, changed = _counts(saved)
    run = _started(deployment.connection, step, deployment, total=processed, resumed_from=processed)
    transitions.migration_succeeded(run, processed=processed, changed=changed)


def _started(
    connection: Connection, step: Step, deployment: Deployment | None, **counts: Any
) -> MigrationRun:
    """`step`'s row in the connection's migration history, now running."""
    return transitions.migration_started(
        connection,
        version=step.version,
        migration_id=step.id,
        name=step.name,
        table=step.table,
        direction=step.direction,
        deployment=deployment,
        **counts,
    )


# --- dry runs -----------------------------------------------------------------------------------


def dry_run_steps(
    client: ConvexClient,
    connection: Connection,
    todo: Plan,
    *,
    deployment: Deployment | None = None,
    keep_going: KeepGoing | None = None,
) -> list[Outcome]:
    """Count what each migration would change, with the runner the deployment has now (its
    query writes nothing). A migration it cannot run (no runner yet, or a hand-written
    function it lacks) is reported as not counted."""
    keep_going = keep_going or (lambda phase, detail: None)
    runner = _runner(client)
    outcomes = []
    for step in todo.steps:
        missing = _cannot_run(runner, step)
        if missing:
            outcomes.append(Outcome(step.name, step.table, "not counted", note=missing))
            continue
        outcomes.append(_dry_run_one(client, connection, step, deployment, keep_going))
    return outcomes


def _dry_run_one(
    client: ConvexClient,
    connection: Connection,
    step: Step,
    deployment: Deployment | None,
    keep_going: KeepGoing,
) -> Outcome:
    run = _started(connection, step, deployment, dry_run=True)
    processed = changed = 0
    cursor: str | None = None
    size = max(DRY_RUN_BATCH, conf().migration_batch_size)
    try:
        while True:
            keep_going(DeployPhase.DRY_RUN_COUNTING, f"{step.table}: {processed:,}")
            args = {"table": step.table, "ops": step.ops, "batchSize": size, "cursor": cursor}
            result = client.query("migrations:dryRunBatch", args)
            if not isinstance(result, dict) or result.get("status") == "failed":
                found = result if isinstance(result, dict) else {"error": str(result)[:200]}
                transitions.migration_failed(
                    run,
                    document_id=str(found.get("documentId") or ""),
                    message=str(found.get("error") or "unreadable answer"),
                )
                return Outcome(
                    step.name, step.table, "failed", processed, changed, note=run.error_message
                )
            processed += int(result["batchProcessed"])
            changed += int(result["batchChanged"])
            transitions.save_migration_progress(run, processed=processed, changed=changed)
            if result["status"] == "done":
                transitions.migration_succeeded(run, processed=processed, changed=changed)
                return Outcome(step.name, step.table, "would change", processed, changed, processed)
            cursor = result["cursor"]
    except BaseException as error:
        _end_unfinished(run, error)
        raise


def dry_run(connection: Connection, to_version: int) -> tuple[Plan, list[Outcome]]:
    """`byod_migrate --dry-run` for one connection: the plan to `to_version` and the counts."""
    with client_for(connection, purpose=Purpose.DEPLOY) as client:
        todo = plan_for(connection, client, to_version)
        return todo, dry_run_steps(client, connection, todo)


def _runner(client: ConvexClient) -> dict[str, Any] | None:
    try:
        found = client.query("migrations:describe", {})
    except ByodError as error:
        if error.retryable:
            raise
        return None
    return found if isinstance(found, dict) else None


def _cannot_run(runner: dict[str, Any] | None, step: Step) -> str:
    if runner is None:
        return "the deployment has no migration runner yet (it arrives with the expanded schema)"
    unknown = {op.get("op") for op in step.ops} - set(runner.get("operations") or [])
    if unknown:
        return f"the deployment's runner does not know {', '.join(sorted(map(str, unknown)))}"
    lacking = step.custom_functions - set(runner.get("custom") or [])
    if lacking:
        names = ", ".join(sorted(lacking))
        return f"the deployment's runner lacks {names} (it arrives with v{step.version})"
    return ""


# --- small helpers ------------------------------------------------------------------------------


def _counts(row: dict[str, Any] | None) -> tuple[int, int]:
    if not row:
        return 0, 0
    return int(row.get("processed") or 0), int(row.get("changed") or 0)


def _over_limit(error: ConvexError) -> bool:
    return "in a single function execution" in error.detail


def _log(deployment: Deployment, line: str) -> None:
    log.info("deploy %s: %s", deployment.pk, line)
    transitions.save_progress(deployment, log_line=line)
