"""Status moves of a Deployment, and what each does to its connection."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from byod import metrics
from byod.errors import clip
from byod.models import (
    Connection,
    ConnectionStatus,
    Deployment,
    DeploymentStatus,
    DeployPhase,
    EventKind,
)
from byod.transitions import fence
from byod.transitions.base import (
    _NO_ERROR,
    TransitionError,
    _error_fields,
    _mirror,
    _move,
    _move_known,
    record,
)
from byod.transitions.health import deploy_ended

if TYPE_CHECKING:
    from accounts.models import User

CS = ConnectionStatus
DS = DeploymentStatus
LOG_LIMIT = 20_000
# What a running deploy may save besides its phase and log (never its status).
PROGRESS_FIELDS = ("pushed_at", "indexes_ready", "indexes_total")
PHASE_DETAIL_LIMIT = 64  # Deployment.phase_detail's length


@transaction.atomic
def deploy_queued(deployment: Deployment, *, actor: User | None = None) -> None:
    """A Deployment row was just created as queued. A real (not dry-run) deploy moves the
    connection to ``deploying``."""
    connection = deployment.connection
    previous = connection.status
    if previous == CS.DISCONNECTED:
        raise TransitionError(
            connection, CS.DEPLOYING, tuple(s for s in CS.values if s != previous)
        )
    if not deployment.dry_run:
        _move(
            connection,
            allowed_from=(CS.PENDING, CS.CONNECTED, CS.ERROR, CS.DEPLOYING),
            to=CS.DEPLOYING,
        )
    record(
        connection,
        EventKind.DEPLOY_QUEUED,
        f"{_what(deployment)} queued ({deployment.trigger}).",
        actor=actor,
        deployment=deployment,
        data={
            "from_version": deployment.from_version,
            "to_version": deployment.to_version,
            "dry_run": deployment.dry_run,
            "trigger": deployment.trigger,
        },
    )


@transaction.atomic
def mark_deploy_running(deployment: Deployment, *, worker: str = "") -> None:
    """Claim a queued deploy: queued -> running, attempt += 1. Raises TransitionError if another
    worker claimed it first (or it was cancelled)."""
    now = timezone.now()
    _move(
        deployment,
        allowed_from=(DS.QUEUED,),
        to=DS.RUNNING,
        attempt=F("attempt") + 1,
        started_at=deployment.started_at or now,
        next_attempt_at=None,
        phase=DeployPhase.STARTING,
        phase_detail="",
    )
    record(
        deployment.connection,
        EventKind.DEPLOY_RUNNING,
        f"{_what(deployment)} started (attempt {deployment.attempt} of {deployment.max_attempts}).",
        deployment=deployment,
        data={"attempt": deployment.attempt, "worker": worker},
    )


def save_progress(
    deployment: Deployment,
    *,
    phase: DeployPhase | None = None,
    detail: str = "",
    indexes_ready: int | None = None,
    indexes_total: int | None = None,
    log_line: str | None = None,
    also: dict[str, Any] | None = None,
) -> bool:
    """Persist progress of a running deploy (and the progress fields in `also`, e.g.
    ``pushed_at``: coalesced into the same UPDATE). Not a status move, so no Event.

    Returns False, and saves nothing, when the deploy is no longer running (cancelled,
    superseded or reaped meanwhile) or, for a worker's instance, when its worker no longer
    holds the attempt (`fence`): how a worker learns that it must stop.
    """
    fields = _progress_fields(deployment, phase, indexes_ready, indexes_total, log_line)
    if phase is not None:
        fields["phase_detail"] = clip(detail, PHASE_DETAIL_LIMIT)
    if also:
        fields.update({k: v for k, v in also.items() if k in PROGRESS_FIELDS})
    rows = Deployment.objects.filter(pk=deployment.pk, status=DS.RUNNING)
    rows = rows.filter(fence.on_deployment(deployment))
    if not fields:
        if rows.exists():
            return True
        fence.lost(deployment, "a check that it still runs")
        return False
    updated = rows.update(**fields)
    if updated:
        _mirror(deployment, fields)
    else:
        fence.lost(deployment, f"progress ({_said(fields)})")
    return updated == 1


def _said(fields: dict[str, Any]) -> str:
    """What a progress write was about, for the warning when it is dropped."""
    if "phase" in fields:
        return str(fields["phase"])
    if "log" in fields:
        return "log: " + str(fields["log"]).rstrip("\n").rsplit("\n", 1)[-1][9:80]
    return ", ".join(sorted(fields))


def note(deployment: Deployment, log_line: str) -> None:
    """Add a line to a deploy's log whatever its status (e.g. where a stopped deploy stopped)."""
    fields = _progress_fields(deployment, None, None, None, log_line)
    rows = Deployment.objects.filter(pk=deployment.pk).filter(fence.on_deployment(deployment))
    if rows.update(**fields):
        _mirror(deployment, fields)
    else:
        fence.lost(deployment, f"a log line ({log_line[:80]})")


def _progress_fields(
    deployment: Deployment,
    phase: DeployPhase | None,
    indexes_ready: int | None,
    indexes_total: int | None,
    log_line: str | None,
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if phase is not None:
        fields["phase"] = phase
    if indexes_ready is not None:
        fields["indexes_ready"] = indexes_ready
    if indexes_total is not None:
        fields["indexes_total"] = indexes_total
    if log_line is not None:
        stamp = timezone.now().strftime("%H:%M:%S")
        fields["log"] = (deployment.log + f"{stamp} {log_line}\n")[-LOG_LIMIT:]
    return fields


def mark_pushed(deployment: Deployment, *, save: bool = True) -> datetime:
    """finish_push succeeded: the deployment now runs this version, verified or not yet.

    Recorded on the deploy and (for a real deploy) on its connection, apart from the verified
    ``deployed_version``. Not a status move, so no Event. With ``save=False`` the caller
    saves the returned ``pushed_at`` on the deploy with its next progress.
    """
    now = timezone.now()
    # One statement on the hot path (save=False); two in one transaction otherwise.
    with transaction.atomic() if save else contextlib.nullcontext():
        if save:
            rows = Deployment.objects.filter(pk=deployment.pk)
            if not rows.filter(fence.on_deployment(deployment)).update(pushed_at=now):
                fence.stop_if_lost(deployment, "pushed")
            deployment.pushed_at = now
        if not deployment.dry_run:
            connection = Connection.objects.filter(pk=deployment.connection_id)
            if not connection.filter(fence.on_connection(deployment)).update(
                pushed_version=deployment.to_version, pushed_package_hash=deployment.package_hash
            ):
                fence.stop_if_lost(deployment, "pushed")
    return now


@transaction.atomic
def mark_deploy_retrying(
    deployment: Deployment,
    *,
    category: str,
    message: str,
    next_attempt_at: datetime,
) -> None:
    """A transient failure: running -> queued again, to run at ``next_attempt_at``."""
    fence.move(
        deployment,
        f"a retry ({category})",
        allowed_from=(DS.RUNNING,),
        to=DS.QUEUED,
        error_category=category,
        error_message=message,
        error_retryable=True,
        next_attempt_at=next_attempt_at,
        phase=DeployPhase.WAITING_TO_RETRY,
        phase_detail="",
    )
    metrics.deploy_finished("retrying", category)
    record(
        deployment.connection,
        EventKind.DEPLOY_RETRY_SCHEDULED,
        f"{_what(deployment)} attempt {deployment.attempt} failed ({category}); "
        f"retrying at {next_attempt_at:%H:%M:%S} UTC. {message}",
        deployment=deployment,
        data={"category": category, "attempt": deployment.attempt},
    )


@transaction.atomic
def mark_deploy_succeeded(
    deployment: Deployment,
    *,
    diff_summary: dict[str, Any] | None = None,
    log_line: str | None = None,
    connection_also: dict[str, Any] | None = None,
) -> None:
    """running -> succeeded. A real deploy records the version and package hash on the
    connection and marks it connected. `log_line` is the deploy's last progress line;
    `connection_also` are fields of the deploy service (its lease) written in the same UPDATE
    of the connection."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "finished_at": now,
        "phase": DeployPhase.DONE,
        "phase_detail": "",
        "error_category": "",
        "error_message": "",
        "error_retryable": None,
        "next_attempt_at": None,
    }
    if diff_summary is not None:
        fields["diff_summary"] = diff_summary
    fields.update(_progress_fields(deployment, None, None, None, log_line))
    try:
        _move_known(
            deployment,
            allowed_from=(DS.RUNNING,),
            to=DS.SUCCEEDED,
            where=fence.on_deployment(deployment),
            **fields,
        )
    except TransitionError:
        fence.stop_if_lost(deployment, "a success")
        raise
    connection = deployment.connection
    data: dict[str, Any] = {"to_version": deployment.to_version, "dry_run": deployment.dry_run}
    if not deployment.dry_run:
        previous = fence.move_connection(
            deployment,
            "a success",
            known=True,
            allowed_from=(CS.PENDING, CS.DEPLOYING, CS.CONNECTED, CS.ERROR),
            to=CS.CONNECTED,
            deployed_version=deployment.to_version,
            deployed_package_hash=deployment.package_hash,
            last_deploy_at=now,
            consecutive_failures=0,
            **_NO_ERROR,
            **(connection_also or {}),
        )
        data["connection_from_status"] = previous
    metrics.deploy_finished(DS.SUCCEEDED)
    record(
        connection,
        EventKind.DEPLOY_SUCCEEDED,
        f"{_what(deployment)} succeeded"
        + (f" in {deployment.duration.total_seconds():.1f}s." if deployment.duration else "."),
        deployment=deployment,
        data=data,
    )
    deploy_ended(connection, deployment)  # e.g. the drift this redeploy repaired


@transaction.atomic
def mark_deploy_failed(
    deployment: Deployment,
    *,
    category: str,
    message: str,
    retryable: bool = False,
) -> None:
    """queued | running -> failed, for good. A real deploy marks the connection as error
    (its deployed version stays what it was: a failed deploy loses nothing)."""
    now = timezone.now()
    fence.move(
        deployment,
        f"a failure ({category})",
        allowed_from=(DS.QUEUED, DS.RUNNING),
        to=DS.FAILED,
        finished_at=now,
        error_category=category,
        error_message=message,
        error_retryable=retryable,
        next_attempt_at=None,
    )
    connection = deployment.connection
    data: dict[str, Any] = {"category": category, "retryable": retryable}
    if not deployment.dry_run and connection.status != CS.DISCONNECTED:
        data["connection_from_status"] = fence.move_connection(
            deployment,
            f"a failure ({category})",
            allowed_from=(CS.PENDING, CS.DEPLOYING, CS.CONNECTED, CS.ERROR),
            to=CS.ERROR,
            **_error_fields(category, message, now),
        )
    metrics.deploy_finished(DS.FAILED, category)
    record(
        connection,
        EventKind.DEPLOY_FAILED,
        f"{_what(deployment)} failed ({category}): {message}",
        deployment=deployment,
        data=data,
    )
    # A refused key, a paused deployment...: health says so at once, by the probes' rule.
    deploy_ended(connection, deployment, failed=category, message=message)


@transaction.atomic
def mark_deploy_cancelled(
    deployment: Deployment, *, actor: User | None = None, reason: str = ""
) -> None:
    """queued | running -> cancelled. A connection left in ``deploying`` goes back to what
    it was before: connected if something is deployed, else pending."""
    _end_early(deployment, DS.CANCELLED, EventKind.DEPLOY_CANCELLED, "cancelled", actor, reason)


@transaction.atomic
def mark_deploy_superseded(
    deployment: Deployment, *, actor: User | None = None, reason: str = ""
) -> None:
    """queued | running -> superseded: a newer deploy of the connection replaces this one
    (new credentials, or a person's action while a retry waited). A running one stops before
    its next call that changes the deployment and never changes the connection."""
    _end_early(deployment, DS.SUPERSEDED, EventKind.DEPLOY_SUPERSEDED, "superseded", actor, reason)


def _end_early(
    deployment: Deployment, to: str, kind: str, said: str, actor: User | None, reason: str
) -> None:
    _move(
        deployment,
        allowed_from=(DS.QUEUED, DS.RUNNING),
        to=to,
        finished_at=timezone.now(),
        next_attempt_at=None,
    )
    metrics.deploy_finished(to)
    connection = deployment.connection
    connection.refresh_from_db()
    if not deployment.dry_run and connection.status == CS.DEPLOYING:
        _move(
            connection,
            allowed_from=(CS.DEPLOYING,),
            to=CS.CONNECTED if connection.deployed_version is not None else CS.PENDING,
        )
    record(
        connection,
        kind,
        f"{_what(deployment)} {said}. {reason}".strip(),
        actor=actor,
        deployment=deployment,
    )


def _what(deployment: Deployment) -> str:
    kind = "Dry run" if deployment.dry_run else "Deploy"
    start = f"v{deployment.from_version}" if deployment.from_version is not None else "nothing"
    return f"{kind} of {start} -> v{deployment.to_version}"
