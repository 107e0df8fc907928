"""Every status change of a Connection or a Deployment, each one writing an Event.

Rules of this module:
- A status field changes only here. Callers pass the row; the function updates the database
  with a conditional UPDATE (``WHERE status IN <allowed>``) so two processes cannot both make
  the same move, then mirrors the new values onto the passed instance.
- A move from a state that does not allow it raises ``TransitionError`` and changes nothing.
- Every move writes one Event (who: ``actor``, a user or None for the system; what: ``kind``
  and ``message``; when: ``created_at``). Messages never hold a deploy key.
- Functions open their own ``transaction.atomic()`` block, so they nest inside a caller's.
- Lease fields (``lease_owner``, ``lease_expires_at``) belong to the deploy service; no
  transition touches them.

Connection statuses: pending -> deploying -> connected | error; any -> disconnected;
disconnected -> pending (reconnect). Deployment statuses: queued -> running -> succeeded |
failed; running -> queued (retry scheduled); queued | running -> failed | cancelled.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from byod.models import (
    Connection,
    ConnectionStatus,
    Deployment,
    DeploymentStatus,
    Event,
)

if TYPE_CHECKING:
    from accounts.models import User

CS = ConnectionStatus
DS = DeploymentStatus


class TransitionError(Exception):
    """A status move that the row's current status does not allow."""

    def __init__(self, obj: models.Model, to: str, allowed_from: tuple[str, ...]) -> None:
        current = str(getattr(obj, "status", "?"))
        to = str(to)
        self.current = current
        self.to = to
        super().__init__(
            f"{type(obj).__name__} {obj.pk} cannot go from {current!r} to {to!r} "
            f"(allowed from: {', '.join(str(s) for s in allowed_from)})."
        )


# --- helpers -----------------------------------------------------------------------------


def record(
    connection: Connection,
    kind: str,
    message: str = "",
    *,
    actor: User | None = None,
    deployment: Deployment | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Write one audit Event. Public for audit-worthy actions that are not status moves."""
    return Event.objects.create(
        connection=connection,
        deployment=deployment,
        actor=actor,
        kind=kind,
        message=message[:2000],
        data=data or {},
    )


def _move(
    obj: Connection | Deployment,
    *,
    allowed_from: tuple[str, ...],
    to: str,
    **fields: Any,
) -> str:
    """Conditionally move ``obj`` to status ``to``; returns the previous status."""
    model = type(obj)
    previous = (
        model.objects.select_for_update().filter(pk=obj.pk).values_list("status", flat=True).first()
    )
    if previous is None or previous not in allowed_from:
        if previous is not None:
            obj.status = previous
        raise TransitionError(obj, to, allowed_from)
    values = {"status": to, **fields}
    if model is Connection:
        values["updated_at"] = timezone.now()
    updated = model.objects.filter(pk=obj.pk, status=previous).update(**values)
    if updated != 1:  # pragma: no cover - the row lock above makes this unreachable
        raise TransitionError(obj, to, allowed_from)
    _mirror(obj, values)
    return previous


def _update_connection(connection: Connection, **fields: Any) -> None:
    fields["updated_at"] = timezone.now()
    Connection.objects.filter(pk=connection.pk).update(**fields)
    _mirror(connection, fields)


def _mirror(obj: models.Model, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if hasattr(value, "resolve_expression"):  # an F() expression: read the result back
            obj.refresh_from_db(fields=[name])
        else:
            setattr(obj, name, value)


def _error_fields(category: str, message: str, at: datetime) -> dict[str, Any]:
    return {
        "last_error_category": category,
        "last_error_message": message,
        "last_error_at": at,
    }


_NO_ERROR: dict[str, Any] = {
    "last_error_category": "",
    "last_error_message": "",
    "last_error_at": None,
}


# --- connection ----------------------------------------------------------------------------


@transaction.atomic
def connection_created(connection: Connection, *, actor: User | None) -> Event:
    """A connection row was just created (status pending)."""
    return record(
        connection,
        "connection.created",
        f"Connected to {connection.deployment_name or connection.url}.",
        actor=actor,
        data={"url": connection.url, "deployment_name": connection.deployment_name},
    )


@transaction.atomic
def mark_credentials_changed(
    connection: Connection,
    *,
    actor: User | None,
    key_ciphertext: str,
    key_id: str,
    url: str,
    deployment_name: str,
) -> None:
    """New URL and/or key stored (already encrypted); the connection waits for a deploy.

    ``pending`` unless the URL is unchanged and the connection is healthy, in which case only
    the key changed and the status stays.
    """
    now = timezone.now()
    same_place = url == connection.url and connection.status in (CS.CONNECTED, CS.DEPLOYING)
    fields: dict[str, Any] = {
        "key_ciphertext": key_ciphertext,
        "key_id": key_id,
        "key_changed_at": now,
        "url": url,
        "deployment_name": deployment_name,
        "consecutive_failures": 0,
        **_NO_ERROR,
    }
    old_url = connection.url
    if same_place:
        _update_connection(connection, **fields)
        previous = connection.status
    else:
        if url != old_url:
            # A different deployment: nothing is deployed there as far as we know.
            fields["deployed_version"] = None
            fields["deployed_package_hash"] = ""
        previous = _move(connection, allowed_from=tuple(CS.values), to=CS.PENDING, **fields)
    record(
        connection,
        "connection.credentials_changed",
        "Deploy key replaced."
        if url == old_url
        else f"Now pointing at {deployment_name or url} (was {old_url}).",
        actor=actor,
        data={"from_status": previous, "to_status": connection.status, "url": url},
    )


@transaction.atomic
def mark_connected(connection: Connection, *, actor: User | None = None, message: str = "") -> None:
    """The deployment answers and runs our package (e.g. a health check recovered)."""
    previous = _move(
        connection,
        allowed_from=(CS.PENDING, CS.DEPLOYING, CS.ERROR, CS.CONNECTED),
        to=CS.CONNECTED,
        consecutive_failures=0,
        **_NO_ERROR,
    )
    record(
        connection,
        "connection.connected",
        message or "Connection is healthy.",
        actor=actor,
        data={"from_status": previous},
    )


@transaction.atomic
def mark_error(
    connection: Connection,
    *,
    category: str,
    message: str,
    actor: User | None = None,
) -> None:
    """The connection needs attention (failed deploy, repeated failed health checks)."""
    now = timezone.now()
    previous = _move(
        connection,
        allowed_from=(CS.PENDING, CS.DEPLOYING, CS.CONNECTED, CS.ERROR),
        to=CS.ERROR,
        **_error_fields(category, message, now),
    )
    record(
        connection,
        "connection.error",
        message,
        actor=actor,
        data={"from_status": previous, "category": category},
    )


@transaction.atomic
def mark_disconnected(connection: Connection, *, actor: User | None) -> None:
    """Forget the deployment's key at once; the user's data stays in their deployment.

    Cancels any queued or running deploy of the connection first.
    """
    for deployment in connection.deployments.filter(status__in=[DS.QUEUED, DS.RUNNING]):
        mark_deploy_cancelled(deployment, actor=actor, reason="The connection was disconnected.")
        connection.refresh_from_db()
    previous = _move(
        connection,
        allowed_from=tuple(CS.values),
        to=CS.DISCONNECTED,
        key_ciphertext="",
        key_id="",
        key_changed_at=timezone.now(),
    )
    record(
        connection,
        "connection.disconnected",
        "Disconnected; the deploy key was erased. Data stays in the deployment.",
        actor=actor,
        data={"from_status": previous},
    )


# --- deployment ----------------------------------------------------------------------------


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
        "deploy.queued",
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
        phase="starting",
    )
    record(
        deployment.connection,
        "deploy.running",
        f"{_what(deployment)} started (attempt {deployment.attempt} of {deployment.max_attempts}).",
        deployment=deployment,
        data={"attempt": deployment.attempt, "worker": worker},
    )


def save_progress(
    deployment: Deployment,
    *,
    phase: str | None = None,
    indexes_ready: int | None = None,
    indexes_total: int | None = None,
    log_line: str | None = None,
) -> None:
    """Persist progress of a running deploy. Not a status move, so no Event."""
    fields: dict[str, Any] = {}
    if phase is not None:
        fields["phase"] = phase
    if indexes_ready is not None:
        fields["indexes_ready"] = indexes_ready
    if indexes_total is not None:
        fields["indexes_total"] = indexes_total
    if log_line is not None:
        stamp = timezone.now().strftime("%H:%M:%S")
        fields["log"] = (deployment.log + f"{stamp} {log_line}\n")[-20_000:]
    if fields:
        Deployment.objects.filter(pk=deployment.pk).update(**fields)
        _mirror(deployment, fields)


@transaction.atomic
def mark_deploy_retrying(
    deployment: Deployment,
    *,
    category: str,
    message: str,
    next_attempt_at: datetime,
) -> None:
    """A transient failure: running -> queued again, to run at ``next_attempt_at``."""
    _move(
        deployment,
        allowed_from=(DS.RUNNING,),
        to=DS.QUEUED,
        error_category=category,
        error_message=message,
        error_retryable=True,
        next_attempt_at=next_attempt_at,
        phase="waiting to retry",
    )
    record(
        deployment.connection,
        "deploy.retry_scheduled",
        f"{_what(deployment)} attempt {deployment.attempt} failed ({category}); "
        f"retrying at {next_attempt_at:%H:%M:%S} UTC. {message}",
        deployment=deployment,
        data={"category": category, "attempt": deployment.attempt},
    )


@transaction.atomic
def mark_deploy_succeeded(
    deployment: Deployment, *, diff_summary: dict[str, Any] | None = None
) -> None:
    """running -> succeeded. A real deploy records the version and package hash on the
    connection and marks it connected."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "finished_at": now,
        "phase": "done",
        "error_category": "",
        "error_message": "",
        "error_retryable": None,
        "next_attempt_at": None,
    }
    if diff_summary is not None:
        fields["diff_summary"] = diff_summary
    _move(deployment, allowed_from=(DS.RUNNING,), to=DS.SUCCEEDED, **fields)
    connection = deployment.connection
    data: dict[str, Any] = {"to_version": deployment.to_version, "dry_run": deployment.dry_run}
    if not deployment.dry_run:
        previous = _move(
            connection,
            allowed_from=(CS.PENDING, CS.DEPLOYING, CS.CONNECTED, CS.ERROR),
            to=CS.CONNECTED,
            deployed_version=deployment.to_version,
            deployed_package_hash=deployment.package_hash,
            last_deploy_at=now,
            consecutive_failures=0,
            **_NO_ERROR,
        )
        data["connection_from_status"] = previous
    record(
        connection,
        "deploy.succeeded",
        f"{_what(deployment)} succeeded"
        + (f" in {deployment.duration.total_seconds():.1f}s." if deployment.duration else "."),
        deployment=deployment,
        data=data,
    )


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
    _move(
        deployment,
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
        data["connection_from_status"] = _move(
            connection,
            allowed_from=(CS.PENDING, CS.DEPLOYING, CS.CONNECTED, CS.ERROR),
            to=CS.ERROR,
            last_deploy_at=now,
            **_error_fields(category, message, now),
        )
    record(
        connection,
        "deploy.failed",
        f"{_what(deployment)} failed ({category}): {message}",
        deployment=deployment,
        data=data,
    )


@transaction.atomic
def mark_deploy_cancelled(
    deployment: Deployment, *, actor: User | None = None, reason: str = ""
) -> None:
    """queued | running -> cancelled. A connection left in ``deploying`` goes back to what
    it was before: connected if something is deployed, else pending."""
    _move(
        deployment,
        allowed_from=(DS.QUEUED, DS.RUNNING),
        to=DS.CANCELLED,
        finished_at=timezone.now(),
        next_attempt_at=None,
    )
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
        "deploy.cancelled",
        f"{_what(deployment)} cancelled. {reason}".strip(),
        actor=actor,
        deployment=deployment,
    )


def _what(deployment: Deployment) -> str:
    kind = "Dry run" if deployment.dry_run else "Deploy"
    start = f"v{deployment.from_version}" if deployment.from_version is not None else "nothing"
    return f"{kind} of {start} -> v{deployment.to_version}"
