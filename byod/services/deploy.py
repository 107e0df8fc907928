"""Where a deploy is decided: request one, run one, retry or fail it, reap abandoned ones.

- `request_deploy` creates a queued Deployment (at most one queued/running per connection,
  enforced by a unique constraint) and enqueues the task after the transaction commits.
- `run_deploy` is what the task runs. It claims the connection with a lease (a conditional
  UPDATE of `lease_owner` / `lease_expires_at`, renewed while it works), pushes the
  package's committed artifact with the Convex client, saves progress as it goes, records
  the version with the package's `meta:record` mutation, reads it back with `meta:get`,
  and records the outcome through `byod.transitions`.
- Transient failures (a retryable ConvexError) are retried with exponential backoff and
  jitter up to `max_attempts`; permanent ones fail at once.
- A worker that dies mid-deploy leaves its lease to expire; `reap_stale_deploys` (run at the
  start of every `run_deploy`, by a watchdog task, and by `manage.py byod_reap`) records the
  attempt as failed and schedules a retry.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from byod import transitions
from byod.client import ConvexClient, ConvexError, SchemaProgress
from byod.client.errors import BAD_CREDENTIALS, PROTOCOL_ERROR, UNREACHABLE, make_error
from byod.inputs import HostNotFound, InputError, parse_url
from byod.models import (
    ACTIVE_DEPLOYMENT_STATUSES,
    Connection,
    Deployment,
    DeploymentStatus,
    DeploymentTrigger,
)
from byod.services.connections import NoDeployKey, get_deploy_key

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)

# Category recorded when a worker stopped (crashed, was killed) in the middle of a deploy.
WORKER_LOST = "worker_lost"
WORKER_LOST_MESSAGE = (
    "The worker running this deploy stopped before it finished. Nothing was lost; "
    "we retry on our own."
)
INTERNAL_ERROR = "internal_error"
INTERNAL_ERROR_MESSAGE = (
    "The deploy stopped because of an error on our side. Nothing was changed on purpose; "
    "the operators have the details. Try again later or contact support."
)


def lease_seconds() -> float:
    # A lease must outlive the longest single call (the read timeout) with room to spare.
    configured = float(getattr(settings, "BYOD_DEPLOY_LEASE_SECONDS", 0) or 0)
    return configured or max(60.0, 3 * float(settings.BYOD_READ_TIMEOUT))


def retry_base_seconds() -> float:
    return float(getattr(settings, "BYOD_DEPLOY_RETRY_BASE_SECONDS", 10.0))


def retry_cap_seconds() -> float:
    return float(getattr(settings, "BYOD_DEPLOY_RETRY_CAP_SECONDS", 15 * 60.0))


# --- requesting ----------------------------------------------------------------------------


def request_deploy(
    connection: Connection,
    *,
    trigger: str,
    actor: User | None = None,
    version: int | None = None,
    dry_run: bool = False,
) -> Deployment:
    """Queue a deploy of `version` (default: the package's current one) to `connection`.

    Returns the connection's queued or running deploy instead when there is one: one
    deploy per connection at a time. The task is enqueued once the transaction commits.
    Raises `transitions.TransitionError` for a disconnected connection and `ValueError`
    for a version that has no build artifact.
    """
    from byod.builds import package_hash

    if trigger not in DeploymentTrigger.values:
        raise ValueError(f"unknown deploy trigger {trigger!r}")
    to_version = version if version is not None else connection.current_version
    digest = package_hash(to_version)
    with transaction.atomic():
        existing = _active_deployment(connection)
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                deployment = Deployment.objects.create(
                    connection=connection,
                    from_version=connection.deployed_version,
                    to_version=to_version,
                    package_hash=digest,
                    trigger=trigger,
                    dry_run=dry_run,
                    requested_by=actor,
                    max_attempts=int(getattr(settings, "BYOD_DEPLOY_MAX_ATTEMPTS", 5)),
                )
        except IntegrityError:
            # Another request queued one between our read and our insert.
            existing = _active_deployment(connection)
            if existing is None:  # pragma: no cover - the constraint says it exists
                raise
            return existing
        transitions.deploy_queued(deployment, actor=actor)
        deployment_id = deployment.pk
        transaction.on_commit(lambda: enqueue_deploy(deployment_id))
    return deployment


def _active_deployment(connection: Connection) -> Deployment | None:
    return (
        Deployment.objects.filter(connection=connection, status__in=ACTIVE_DEPLOYMENT_STATUSES)
        .order_by("-id")
        .first()
    )


def enqueue_deploy(deployment_id: int, *, run_after: datetime | None = None) -> None:
    from byod.tasks import deploy_task

    task = deploy_task.using(run_after=run_after) if run_after else deploy_task
    task.enqueue(deployment_id)


def enqueue_watchdog(deployment_id: int, run_after: datetime) -> None:
    from byod.tasks import watch_deploy_task

    watch_deploy_task.using(run_after=run_after).enqueue(deployment_id)


# --- the lease -----------------------------------------------------------------------------


class LeaseLost(Exception):
    """Our lease on the connection expired and someone else took it over."""


def new_owner() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def take_lease(connection_id: int, owner: str) -> bool:
    """Claim the connection for `owner` if nobody holds a live lease on it."""
    now = timezone.now()
    free = Q(lease_owner="") | Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    taken = (
        Connection.objects.filter(pk=connection_id)
        .filter(free | Q(lease_owner=owner))
        .update(lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds()))
    )
    return taken == 1


def renew_lease(connection_id: int, owner: str) -> None:
    """Extend our lease; raises LeaseLost when it is no longer ours."""
    renewed = Connection.objects.filter(pk=connection_id, lease_owner=owner).update(
        lease_expires_at=timezone.now() + timedelta(seconds=lease_seconds())
    )
    if renewed != 1:
        raise LeaseLost(f"lease on connection {connection_id} lost")


def release_lease(connection_id: int, owner: str) -> None:
    Connection.objects.filter(pk=connection_id, lease_owner=owner).update(
        lease_owner="", lease_expires_at=None
    )


class _Lease:
    """Renews the lease when a third of it has passed; called often, writes rarely."""

    def __init__(self, connection_id: int, owner: str) -> None:
        self.connection_id = connection_id
        self.owner = owner
        self._renewed_at = timezone.now()

    def keep_alive(self, *, force: bool = False) -> None:
        now = timezone.now()
        if force or (now - self._renewed_at).total_seconds() > lease_seconds() / 3:
            renew_lease(self.connection_id, self.owner)
            self._renewed_at = now


# --- running -------------------------------------------------------------------------------


@dataclass
class DeployOutcome:
    """What one call of run_deploy did (for commands and the benchmark)."""

    deployment_id: int
    ran: bool
    status: str
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def run_deploy(deployment_id: int) -> None:
    """Run one attempt of a queued deploy (what the task runs). Safe to call twice."""
    run_deploy_attempt(deployment_id)


def run_deploy_attempt(deployment_id: int) -> DeployOutcome:
    """Like `run_deploy`, and says what happened."""
    _reap_now_and_then()
    deployment = Deployment.objects.select_related("connection").filter(pk=deployment_id).first()
    if deployment is None:
        return DeployOutcome(deployment_id, False, "missing")
    if deployment.status != DeploymentStatus.QUEUED:
        return DeployOutcome(deployment_id, False, deployment.status, "not queued")
    now = timezone.now()
    if deployment.next_attempt_at is not None and deployment.next_attempt_at > now:
        # An early duplicate: the task enqueued for next_attempt_at will run it.
        return DeployOutcome(deployment_id, False, deployment.status, "retry not due yet")
    connection_id = deployment.connection_id
    owner = new_owner()
    if not take_lease(connection_id, owner):
        held = Connection.objects.filter(pk=connection_id).values_list(
            "lease_expires_at", flat=True
        )
        until = held.first() or now
        enqueue_deploy(deployment_id, run_after=until + timedelta(seconds=1))
        return DeployOutcome(deployment_id, False, deployment.status, "connection is busy")
    try:
        try:
            transitions.mark_deploy_running(deployment, worker=owner)
        except transitions.TransitionError:
            return DeployOutcome(deployment_id, False, deployment.status, "claimed elsewhere")
        lease = _Lease(connection_id, owner)
        enqueue_watchdog(deployment_id, _watch_time())
        return _attempt(deployment, lease)
    finally:
        release_lease(connection_id, owner)


def _attempt(deployment: Deployment, lease: _Lease) -> DeployOutcome:
    try:
        diff = _push(deployment, lease)
    except LeaseLost:
        log.warning("deploy %s: lease lost; the reaper recorded this attempt", deployment.pk)
        return DeployOutcome(deployment.pk, True, "lease_lost")
    except ConvexError as error:
        return _record_failure(deployment, error)
    except HostNotFound as error:
        return _record_failure(deployment, make_error(UNREACHABLE, f"dns: {error.message}"))
    except NoDeployKey as error:
        return _record_failure(deployment, make_error(BAD_CREDENTIALS, f"no key: {error}"))
    except InputError as error:
        refusal = make_error(UNREACHABLE, f"destination refused: {error.message}", retryable=False)
        refusal.user_message = error.message
        return _record_failure(deployment, refusal)
    except Exception:
        log.exception("deploy %s: unexpected error", deployment.pk)
        _finish(
            deployment,
            transitions.mark_deploy_failed,
            category=INTERNAL_ERROR,
            message=INTERNAL_ERROR_MESSAGE,
            retryable=False,
        )
        raise
    _finish(deployment, transitions.mark_deploy_succeeded, diff_summary=diff)
    return DeployOutcome(deployment.pk, True, deployment.status, extra={"diff": diff})


def _finish(deployment: Deployment, move: Any, **kwargs: Any) -> None:
    try:
        move(deployment, **kwargs)
    except transitions.TransitionError as error:
        # Cancelled (e.g. the user disconnected) or reaped while we worked: theirs wins.
        log.warning("deploy %s: not recorded, status changed meanwhile: %s", deployment.pk, error)


@functools.lru_cache(maxsize=4)
def _artifact(version: int) -> dict[str, Any]:
    # Parsed once per process; callers copy the top level and never change nested values.
    from byod.builds import load_artifact

    return load_artifact(version)


def _push(deployment: Deployment, lease: _Lease) -> dict[str, Any]:
    connection = deployment.connection
    version = deployment.to_version
    digest = deployment.package_hash
    url = parse_url(connection.url)
    key = get_deploy_key(connection)
    body = {**_artifact(version), "adminKey": key, "dryRun": deployment.dry_run}

    def step(phase: str) -> None:
        lease.keep_alive()
        transitions.save_progress(deployment, phase=phase, log_line=phase)

    with ConvexClient(url, key) as client:
        if deployment.dry_run:
            # evaluate_push stages nothing: the deployment is left exactly as it was.
            step("evaluating push (dry run)")
            evaluation = client.evaluate_push(body)
            summary = _diff_summary(evaluation.get("schemaChange"))
            step("dry run evaluated")
            return {**summary, "dry_run": True}

        step("uploading package")
        started = client.start_push(body)
        summary = _diff_summary(started.get("schemaChange"))
        step("waiting for schema")
        last: list[tuple[str, int, int] | None] = [None]

        def on_progress(progress: SchemaProgress) -> None:
            lease.keep_alive()
            seen = (progress.phase, progress.indexes_ready, progress.indexes_total)
            if seen != last[0]:
                last[0] = seen
                transitions.save_progress(
                    deployment,
                    phase=progress.phase,
                    indexes_ready=progress.indexes_ready,
                    indexes_total=progress.indexes_total,
                )

        client.wait_for_schema(started, on_progress=on_progress)
        if summary["indexes_total"]:
            transitions.save_progress(
                deployment,
                indexes_ready=summary["indexes_total"],
                indexes_total=summary["indexes_total"],
            )
        step("finishing push")
        client.finish_push(started)
        step("recording version")
        lease.keep_alive(force=True)
        deployed_at = int(timezone.now().timestamp() * 1000)
        client.mutation(
            "meta:record",
            {"schemaVersion": version, "packageHash": digest, "deployedAt": deployed_at},
        )
        recorded = client.query("meta:get", {})
        _verify(recorded, version, digest)
        step("version recorded and verified")
        return summary


def _verify(recorded: Any, version: int, digest: str) -> None:
    got_version = recorded.get("schemaVersion") if isinstance(recorded, dict) else None
    got_hash = recorded.get("packageHash") if isinstance(recorded, dict) else None
    if got_version != version or got_hash != digest:
        raise make_error(
            PROTOCOL_ERROR,
            f"meta:get read back version {got_version!r} / hash {str(got_hash)[:12]!r}, "
            f"expected {version} / {digest[:12]}",
        )


def _diff_summary(schema_change: Any) -> dict[str, Any]:
    diffs = schema_change.get("indexDiffs") if isinstance(schema_change, dict) else None
    root = diffs.get("", {}) if isinstance(diffs, dict) else {}

    def names(key: str) -> list[str]:
        items = root.get(key) or [] if isinstance(root, dict) else []
        return sorted(str(i.get("name", "?")) if isinstance(i, dict) else str(i) for i in items)

    added, removed = names("added_indexes"), names("removed_indexes")
    enabled = names("enabled_indexes")
    return {
        "indexes_added": added,
        "indexes_removed": removed,
        "indexes_enabled": enabled,
        "indexes_total": len(added) + len(enabled),
    }


def _record_failure(deployment: Deployment, error: ConvexError) -> DeployOutcome:
    log.info("deploy %s failed: %s", deployment.pk, error.detail)
    message = error.user_message
    transitions.save_progress(deployment, log_line=f"failed: {error.category}: {error.detail}")
    if error.retryable and deployment.attempt < deployment.max_attempts:
        when = timezone.now() + timedelta(seconds=backoff_seconds(deployment.attempt, error))
        try:
            transitions.mark_deploy_retrying(
                deployment, category=error.category, message=message, next_attempt_at=when
            )
        except transitions.TransitionError as lost:
            log.warning("deploy %s: retry not recorded: %s", deployment.pk, lost)
            return DeployOutcome(deployment.pk, True, deployment.status, error.category)
        transaction.on_commit(lambda: enqueue_deploy(deployment.pk, run_after=when))
        return DeployOutcome(deployment.pk, True, deployment.status, error.category)
    _finish(
        deployment,
        transitions.mark_deploy_failed,
        category=error.category,
        message=message,
        retryable=error.retryable,
    )
    return DeployOutcome(deployment.pk, True, deployment.status, error.category)


def backoff_seconds(attempt: int, error: ConvexError | None = None) -> float:
    """Exponential backoff with jitter: base * 2^(attempt-1), capped, times 0.5..1."""
    base = retry_base_seconds() * (2 ** max(0, attempt - 1))
    delay = min(retry_cap_seconds(), base) * (0.5 + random.random() / 2)  # noqa: S311
    if error is not None and error.retry_after:
        delay = max(delay, min(retry_cap_seconds(), error.retry_after))
    return delay


# --- reaping abandoned deploys ---------------------------------------------------------------


def _watch_time() -> datetime:
    return timezone.now() + timedelta(seconds=lease_seconds() + 1)


_last_reap = [0.0]
REAP_EVERY_SECONDS = 5.0


def _reap_now_and_then() -> None:
    """Reap before a run, at most every few seconds per process (it is one query each time)."""
    now = time.monotonic()
    if now - _last_reap[0] >= REAP_EVERY_SECONDS:
        _last_reap[0] = now
        reap_stale_deploys()


def reap_stale_deploys() -> list[int]:
    """Record running deploys whose worker's lease expired as failed attempts, and retry them.

    Returns the ids of the deploys it reaped. Safe to run from many processes at once: the
    reaper takes the expired lease over with the same conditional UPDATE a worker uses.
    """
    now = timezone.now()
    stale = Deployment.objects.filter(status=DeploymentStatus.RUNNING).filter(
        Q(connection__lease_expires_at__lt=now)
        | Q(connection__lease_expires_at__isnull=True)
        | Q(connection__lease_owner="")
    )
    reaped: list[int] = []
    for deployment in stale.select_related("connection"):
        owner = new_owner()
        if not take_lease(deployment.connection_id, owner):
            continue  # a live worker holds it (it renewed meanwhile)
        try:
            deployment.refresh_from_db()
            if deployment.status != DeploymentStatus.RUNNING:
                continue
            _reap(deployment)
            reaped.append(deployment.pk)
        finally:
            release_lease(deployment.connection_id, owner)
    return reaped


def _reap(deployment: Deployment) -> None:
    log.warning("deploy %s: worker lost (lease expired); recording and retrying", deployment.pk)
    transitions.save_progress(deployment, log_line="worker lost: lease expired")
    if deployment.attempt < deployment.max_attempts:
        when = timezone.now() + timedelta(seconds=backoff_seconds(deployment.attempt))
        transitions.mark_deploy_retrying(
            deployment, category=WORKER_LOST, message=WORKER_LOST_MESSAGE, next_attempt_at=when
        )
        deployment_id = deployment.pk
        transaction.on_commit(lambda: enqueue_deploy(deployment_id, run_after=when))
    else:
        transitions.mark_deploy_failed(
            deployment, category=WORKER_LOST, message=WORKER_LOST_MESSAGE, retryable=True
        )


def watch_deploy(deployment_id: int) -> None:
    """The watchdog: reap the deploy if its worker died; look again later if it still runs."""
    reap_stale_deploys()
    deployment = Deployment.objects.select_related("connection").filter(pk=deployment_id).first()
    if deployment is None or deployment.status != DeploymentStatus.RUNNING:
        return
    expires = deployment.connection.lease_expires_at or timezone.now()
    enqueue_watchdog(deployment_id, expires + timedelta(seconds=1))
