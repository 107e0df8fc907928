"""Where a deploy is decided: request one, run an attempt, record how it ended, retry.

- `request_deploy` creates a queued Deployment (at most one queued/running per connection,
  enforced by a unique constraint) and enqueues `deploy_task` after the transaction commits.
- `run_deploy` (what `deploy_task` runs) claims the connection with a lease, pushes the
  version's committed artifact (`byod.services.deploys.push`) and records the outcome through
  `byod.transitions`; a failure goes through the one retry rule (`byod.services.deploys.attempts`).
- A worker that dies mid-deploy leaves its lease to expire: `watch_deploy_task`, enqueued for
  each attempt, and `reap_and_retry` (also run before deploys and by `manage.py byod_reap`)
  have the reaper record the attempt, then enqueue its retry.

The tasks live here, beside the service they run, so enqueueing needs no import from above.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django import db
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from byod import builds, keys, package, transitions
from byod.conf import conf
from byod.errors import (
    DATABASE_UNAVAILABLE,
    INTERNAL_ERROR,
    TRANSIENT_DATABASE_ERRORS,
    ByodError,
    LeaseLost,
)
from byod.inputs import parse_url
from byod.models import (
    Connection,
    Deployment,
    DeploymentStatus,
    DeploymentTrigger,
    DeployPhase,
    Holder,
    LeaseKind,
)
from byod.services import priorities, task_rows
from byod.services.deploys import attempts, lease, reaper
from byod.services.deploys.push import Stopped, push_package
from byod.services.moves import control as moves

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)

REAP_EVERY_SECONDS = 5.0
NO_LEASE = {"lease_owner": "", "lease_kind": "", "lease_expires_at": None}
# A move holding the connection's lease renews it for as long as it runs: a deploy waiting for it
# looks again this often rather than at each renewed expiry.
MOVE_POLL_SECONDS = 10.0


# --- requesting ----------------------------------------------------------------------------


# Who acts for a person: their request runs now, even over a retry waiting in the queue.
PERSON_TRIGGERS = (DeploymentTrigger.USER, DeploymentTrigger.ADMIN, DeploymentTrigger.COMMAND)


def request_deploy(
    connection: Connection,
    *,
    trigger: str,
    actor: User | None = None,
    version: int | None = None,
    dry_run: bool = False,
    supersede: bool = False,
) -> Deployment:
    """Queue a deploy of `version` (default: the package's current one) to `connection`.

    One deploy per connection at a time: the connection's queued or running deploy is
    returned instead, except that it is superseded (and a new one queued) when `supersede`
    is set (the destination changed) or when a person asks while a retry waits for its time.
    The task is enqueued once the transaction commits. Raises `TransitionError` for a
    disconnected connection and `ArtifactError` for a version that has no build (both
    kinds of `ByodError`). (A rollout's deploys are created by its drivers, who count what
    runs: `byod.services.rollouts.driver`.)
    """
    if trigger not in DeploymentTrigger.values:
        raise ValueError(f"unknown deploy trigger {trigger!r}")
    to_version = version if version is not None else package.current_version()
    digest = builds.package_hash(to_version)
    with transaction.atomic():
        existing = connection.deployments.active().order_by("-id").first()
        if existing is not None and (supersede or _waits_for_retry(existing, trigger)):
            reason = (
                "New credentials: deploying to the new destination instead."
                if supersede
                else "Run now at the request of a person instead of waiting for the retry."
            )
            transitions.mark_deploy_superseded(existing, actor=actor, reason=reason)
            existing = None
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
                    max_attempts=conf().deploys.max_attempts,
                )
        except IntegrityError:
            # Another request queued one between our read and our insert.
            existing = connection.deployments.active().order_by("-id").first()
            if existing is None:  # pragma: no cover - the constraint says it exists
                raise
            return existing
        transitions.deploy_queued(deployment, actor=actor)
        deployment_id = deployment.pk
        for_person = trigger in PERSON_TRIGGERS
        transaction.on_commit(lambda: enqueue_deploy(deployment_id, for_person=for_person))
    return deployment


def _waits_for_retry(deployment: Deployment, trigger: str) -> bool:
    waiting = deployment.status == DeploymentStatus.QUEUED and deployment.attempt > 0
    return waiting and trigger in PERSON_TRIGGERS


def enqueue_deploy(
    deployment_id: int, *, run_after: datetime | None = None, for_person: bool = False
) -> None:
    """Enqueue a deploy's task; a person's (`for_person`) goes before background work."""
    priority = priorities.USER if for_person else priorities.BACKGROUND
    deploy_task.using(run_after=run_after, priority=priority).enqueue(deployment_id)


# --- running -------------------------------------------------------------------------------


def run_deploy(deployment_id: int) -> None:
    """Run one attempt of a queued deploy (what the task runs). Safe to call twice."""
    reap_now_and_then()
    deployment = Deployment.objects.select_related("connection__user").filter(pk=deployment_id)
    found = deployment.first()
    if found is None or found.status != DeploymentStatus.QUEUED:
        return
    if found.rollout_id is not None:
        return  # a rollout's deploy: its drivers run it (and count it), never this task
    now = timezone.now()
    if found.next_attempt_at is not None and found.next_attempt_at > now:
        return  # an early duplicate: the task enqueued for next_attempt_at will run it
    connection_id = found.connection_id
    owner = lease.new_owner()
    if not lease.take(connection_id, owner):
        holder = Connection.objects.filter(pk=connection_id).values_list(
            "lease_expires_at", "lease_kind"
        )
        expiry, kind = holder.first() or (None, "")
        until = expiry or now
        if kind == LeaseKind.MOVE:
            until = min(until, now + timedelta(seconds=MOVE_POLL_SECONDS))
        for_person = found.attempt == 0 and found.trigger in PERSON_TRIGGERS
        enqueue_deploy(deployment_id, run_after=until + timedelta(seconds=1), for_person=for_person)
        return
    try:
        transitions.mark_deploy_running(found, worker=owner)
    except transitions.TransitionError:
        lease.release(connection_id, owner)
        return  # claimed elsewhere, or cancelled meanwhile
    watch_deploy_task.using(run_after=_watch_time()).enqueue(deployment_id)
    carry_on(found, owner)


def begin(deployment: Deployment, owner: str) -> bool:
    """Start a queued deploy for `owner`: take the lease, mark it running. For callers that
    count what runs in the same transaction (a rollout's drivers); False if it cannot start."""
    if not lease.take(deployment.connection_id, owner):
        return False
    try:
        transitions.mark_deploy_running(deployment, worker=owner)
    except transitions.TransitionError:
        lease.release(deployment.connection_id, owner)
        return False
    return True


def carry_on(deployment: Deployment, owner: str) -> None:
    """Run the attempt of a deploy `begin` started, and let go of the lease. Everything the
    attempt records is conditional on `owner` still holding it (`Deployment.holder`)."""
    deployment.holder = Holder(owner, deployment.attempt)
    held = lease.Lease(deployment.connection_id, owner)
    try:
        stopped = _attempt(deployment, held)
    finally:
        if not held.released:
            lease.release(deployment.connection_id, owner)
    if stopped:
        _hand_over(deployment.connection_id)


def _hand_over(connection_id: int) -> None:
    """Start the connection's next deploy now if one was queued while we held the lease (it
    found the lease taken and was put off until the lease would expire)."""
    waiting = (
        Deployment.objects.filter(connection_id=connection_id, status=DeploymentStatus.QUEUED)
        .filter(attempt=0)
        .values_list("pk", "trigger")
        .first()
    )
    if waiting is not None:
        enqueue_deploy(waiting[0], for_person=waiting[1] in PERSON_TRIGGERS)


@sensitive_variables("key")
def _attempt(deployment: Deployment, held: lease.Lease) -> bool:
    """Run the attempt and record how it ended; True when it stopped (cancelled/superseded)."""
    try:
        url = parse_url(deployment.connection.url)
        key = keys.open_deploy_key(deployment.connection)
        summary = push_package(deployment, url, key, held)
    except LeaseLost:
        log.warning("deploy %s: lease lost; the reaper recorded this attempt", deployment.pk)
        return False
    except transitions.NotHolder:
        # Taken over while we worked (logged with both tokens where it was found out): the
        # attempt is someone else's to record; we stop here and record nothing.
        return False
    except Stopped as stop:
        status = Deployment.objects.filter(pk=deployment.pk).values_list("status", flat=True)
        said = status.first() or "gone"
        if not transitions.holds(deployment):
            log.info("deploy %s: attempt taken over; stopped %s", deployment.pk, stop.where)
            return False
        log.info("deploy %s stopped %s: it was %s", deployment.pk, stop.where, said)
        transitions.note(deployment, f"stopped {stop.where}: the deploy was {said}")
        return True
    except ByodError as error:
        log.info("deploy %s failed: %s", deployment.pk, error.detail)
        _record(deployment, error)
        return False
    except TRANSIENT_DATABASE_ERRORS as error:
        _database_failed(deployment, error)
        return False
    except Exception:
        log.exception("deploy %s: unexpected error", deployment.pk)
        attempts.record_failure(deployment, ByodError(INTERNAL_ERROR, "unexpected error"))
        raise
    try:
        # The last progress line goes with the success: one UPDATE fewer per deploy.
        last = None if deployment.dry_run else DeployPhase.VERIFIED.line()
        # The lease is let go in the connection's UPDATE of the success: one statement fewer.
        transitions.mark_deploy_succeeded(
            deployment, diff_summary=summary, log_line=last, connection_also=NO_LEASE
        )
        held.released = not deployment.dry_run
    except transitions.TransitionError as error:
        # Cancelled (e.g. the user disconnected) or reaped while we worked: theirs wins.
        log.warning("deploy %s: not recorded, status changed meanwhile: %s", deployment.pk, error)
    except TRANSIENT_DATABASE_ERRORS as error:
        _database_failed(deployment, error)  # pushed, not recorded: the retry pushes again
        return False
    if deployment.from_version is None and held.released:
        # The first deploy of a connection: with moves on, the user's content comes in.
        moves.after_first_deploy(deployment.connection)
    return False


def _database_failed(deployment: Deployment, error: Exception) -> None:
    """Our database, not the deployment, failed: the attempt stopped where it was and is
    retried like any transient failure (`database_unavailable`)."""
    log.warning("deploy %s: our database failed: %s", deployment.pk, error)
    _drop_broken_connection()
    _record(deployment, ByodError(DATABASE_UNAVAILABLE, f"{type(error).__name__}: {error}"))


def _drop_broken_connection() -> None:
    """Close this thread's database connection if the database dropped it (a PostgreSQL
    restart), so that the next query opens a new one; one inside a transaction is left to it."""
    if db.connection.in_atomic_block or db.connection.connection is None:
        return
    if not db.connection.is_usable():
        db.connection.close()


def _record(deployment: Deployment, error: ByodError) -> None:
    """Record a failed attempt and enqueue its retry, if one is due (a rollout's drivers run
    their own). A database still away raises: the attempt's lease then expires and the reaper
    records it (`worker_lost`, retried as well)."""
    retry_at = attempts.record_failure(deployment, error)
    if retry_at is not None and deployment.rollout_id is None:
        transaction.on_commit(lambda: enqueue_deploy(deployment.pk, run_after=retry_at))


# --- workers that died -----------------------------------------------------------------------


def reap_and_retry() -> list[reaper.Reaped]:
    """Record deploys whose worker died, close the task rows it left running (so the task
    admin tells the truth), and enqueue the retries that are due them."""
    reaped = reaper.reap_abandoned_deploys()
    for entry in reaped:
        _close_abandoned_task_rows(entry.deployment_id)
        if entry.retry_at is not None and entry.rollout_id is None:
            enqueue_deploy(entry.deployment_id, run_after=entry.retry_at)
    return reaped


def _close_abandoned_task_rows(deployment_id: int) -> None:
    task_rows.close_abandoned(
        deploy_task,
        args=[deployment_id],
        why=(
            f"The worker running deploy {deployment_id} stopped before it finished (its lease "
            "on the connection expired). The deploy was recorded as worker_lost and retried."
        ),
    )


def _watch_time() -> datetime:
    return timezone.now() + timedelta(seconds=lease.lease_seconds() + 1)


_last_reap = [0.0]


def reap_now_and_then() -> None:
    """Reap before a run, at most every few seconds per process (it is one query each time)."""
    now = time.monotonic()
    if now - _last_reap[0] >= REAP_EVERY_SECONDS:
        _last_reap[0] = now
        reap_and_retry()


def watch_deploy(deployment_id: int) -> None:
    """The watchdog: reap the deploy if its worker died; look again later if it still runs."""
    reap_and_retry()
    deployment = Deployment.objects.select_related("connection").filter(pk=deployment_id).first()
    if deployment is None or deployment.status != DeploymentStatus.RUNNING:
        return
    expires = deployment.connection.lease_expires_at or timezone.now()
    watch_deploy_task.using(run_after=expires + timedelta(seconds=1)).enqueue(deployment_id)


# --- tasks: thin wrappers taking ids, so the worker reloads fresh rows ------------------------


@task()
def deploy_task(deployment_id: int) -> None:
    """Run one attempt of a queued deploy."""
    run_deploy(deployment_id)


@task()
def watch_deploy_task(deployment_id: int) -> None:
    """After a deploy's lease would expire: reap it if its worker died."""
    watch_deploy(deployment_id)
