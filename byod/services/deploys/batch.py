"""Deploying a version to many connections: queue them for the workers, or run them here.

- `queue_deploys` requests a deploy for each connection (the task workers run them) and counts
  what happened: what the admin's actions do.
- `deploy_now` runs each deploy in this process, K at a time, until each has ended (including
  its retries), reporting progress: what `manage.py byod_deploy` does for a user or a list.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import close_old_connections, connections
from django.utils import timezone

from byod.errors import ByodError
from byod.models import Connection, Deployment, DeploymentTrigger
from byod.services.deploys.run import request_deploy, run_deploy

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)

# How often a deploy that runs elsewhere (another worker) is looked at again.
POLL_SECONDS = 0.5

QUEUED = "queued"
ALREADY_RUNNING = "already in progress"
SKIPPED = "skipped (disconnected)"


def queue_deploys(
    selected: Iterable[Connection],
    *,
    trigger: str,
    actor: User | None = None,
    version: int | None = None,
    dry_run: bool = False,
) -> Counter[str]:
    """Request a deploy of each connection; counts by outcome (refusals by their category)."""
    counts: Counter[str] = Counter()
    for connection in selected:
        if not connection.is_usable:
            counts[SKIPPED] += 1
            continue
        if connection.deployments.active().exists():
            counts[ALREADY_RUNNING] += 1
            continue
        try:
            request_deploy(
                connection, trigger=trigger, actor=actor, version=version, dry_run=dry_run
            )
        except ByodError as error:
            counts[f"refused ({error.category})"] += 1
            continue
        counts[QUEUED] += 1
    return counts


@dataclass
class Outcome:
    """How one connection's deploy ended, for a summary table."""

    user: str
    deployment_id: int | None
    status: str
    from_version: int | None = None
    to_version: int | None = None
    seconds: float | None = None
    attempts: int = 0
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


Progress = Callable[[int, int], None]  # (done, failed)


def deploy_now(
    selected: Iterable[Connection],
    *,
    version: int | None = None,
    dry_run: bool = False,
    concurrency: int = 8,
    max_wait: float = 3600.0,
    progress: Progress | None = None,
    trigger: str = DeploymentTrigger.COMMAND,
) -> list[Outcome]:
    """Deploy to each connection in this process, `concurrency` at a time, and wait for each.

    A connection's deploy already queued or running is reused, never doubled; one waiting for
    a retry is run again when it is due.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    items = [(c.pk, str(c.user)) for c in selected]
    outcomes: list[Outcome] = []
    failed = 0

    def collect(outcome: Outcome) -> None:
        nonlocal failed
        outcomes.append(outcome)
        failed += not outcome.succeeded
        if progress is not None:
            progress(len(outcomes), failed)

    args = (version, dry_run, max_wait, trigger)
    if concurrency == 1:
        # In this thread (and its database connection): no pool needed for one at a time.
        for pk, user in items:
            collect(_deploy_one(pk, user, *args))
        return outcomes
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="deploy") as pool:
        futures = [pool.submit(_in_thread, pk, user, *args) for pk, user in items]
        for future in as_completed(futures):
            collect(future.result())
    return outcomes


def _in_thread(
    connection_id: int, user: str, version: int | None, dry_run: bool, max_wait: float, trigger: str
) -> Outcome:
    close_old_connections()
    try:
        return _deploy_one(connection_id, user, version, dry_run, max_wait, trigger)
    finally:
        connections.close_all()  # this thread's connections only


def _deploy_one(
    connection_id: int,
    user: str,
    version: int | None,
    dry_run: bool,
    max_wait: float,
    trigger: str,
) -> Outcome:
    connection = Connection.objects.get(pk=connection_id)
    try:
        deployment = request_deploy(connection, trigger=trigger, version=version, dry_run=dry_run)
    except ByodError as error:
        return Outcome(user, None, "refused", error=f"{error.category}: {error.user_message}")
    deadline = time.monotonic() + max_wait
    while True:
        try:
            run_deploy(deployment.pk)
        except Exception:  # recorded on the row as internal_error (and logged); report it
            log.exception("deploy %s raised", deployment.pk)
        deployment.refresh_from_db()
        if deployment.is_terminal:
            return _outcome(user, deployment)
        if time.monotonic() > deadline:
            return _outcome(user, deployment, status="gave up waiting")
        time.sleep(_wait_for(deployment))


def _wait_for(deployment: Deployment) -> float:
    if deployment.next_attempt_at is not None:
        due = (deployment.next_attempt_at - timezone.now()).total_seconds()
        return min(max(due, 0.05), 60.0)
    return POLL_SECONDS  # running in another worker: look again soon


def _outcome(user: str, deployment: Deployment, *, status: str | None = None) -> Outcome:
    duration = deployment.duration
    error = ""
    if deployment.error_category and deployment.status != "succeeded":
        error = f"{deployment.error_category}: {deployment.error_message}"
    return Outcome(
        user=user,
        deployment_id=deployment.pk,
        status=status or deployment.status,
        from_version=deployment.from_version,
        to_version=deployment.to_version,
        seconds=duration.total_seconds() if duration else None,
        attempts=deployment.attempt,
        error=error,
    )
