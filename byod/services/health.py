"""Watching the fleet: probe connections, sweep the due ones in batches, check on request.

- `probe` checks one connection: its key is still accepted (`check_admin_key`), the deployment
  runs functions (our `meta:get`: a paused or over-limit deployment answers with an error text,
  classified by the client) and reports the version and package hash we recorded (else: drift),
  with strict timeouts, and how long it took. It writes nothing.
- `sweep` (the scheduler's task, every BYOD_HEALTH_SWEEP_MINUTES) claims the due connections,
  a batch at a time, with one conditional UPDATE per batch (a claim token and a claim window in
  `next_check_at`), and enqueues one task per batch: any number of workers share the sweep and
  each connection is probed once, however many sweeps overlap. A worker that dies leaves its
  claim to expire; the connections are due again then, never dropped.
- `check_batch` probes a claimed batch, BYOD_HEALTH_CONCURRENCY at a time, and records the
  outcomes it has every second (`byod.transitions.health`: hysteresis, drift, backoff, one Event
  per change): a probe ends by its deadline (BYOD_HEALTH_*_SECONDS), and one slow deployment
  delays no other's result.
- `request_check` / `queue_checks` (the user's "Check now", the admin's action) make
  connections due now and enqueue their check; `check_in_process` runs checks here, for
  `manage.py byod_health`.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Q
from django.tasks import task
from django.utils import timezone

from byod import transitions
from byod.clients import Purpose, client_for
from byod.conf import conf
from byod.errors import INTERNAL_ERROR, PROTOCOL_ERROR, ByodError, ConvexError
from byod.models import Connection, DeploymentTrigger
from byod.models.health import checkable_q, due_q
from byod.services import priorities, task_rows
from byod.services.deploys.run import request_deploy
from byod.transitions.health import Probe, Recorded

log = logging.getLogger(__name__)
# A batch records the outcomes it has about this often (and all of them at its end).
RECORD_EVERY = 1.0


def claim_seconds() -> float:
    """How long a batch's claim lasts: long enough for every probe of the batch to time out."""
    health = conf().health
    rounds = math.ceil(health.batch_size / health.concurrency)
    limits = conf().calls.health
    one = limits.total or 2 * limits.call
    return float(rounds * one + 60)


# --- one probe ---------------------------------------------------------------------------


def probe(connection: Connection) -> Probe:
    """Probe one connection (its `user` loaded); never raises, never writes."""
    started, at = time.monotonic(), timezone.now()
    found: dict[str, Any] = {}
    try:
        # The URL is checked against the allow-list again; the probe's calls share a deadline.
        with client_for(connection, purpose=Purpose.HEALTH) as client:
            client.check_admin_key()
            try:
                meta = client.package_meta()
            except ConvexError as error:
                # Paused, over its limits, unreachable...: the deployment's state. Anything else
                # is our function failing or missing: the deployment runs other code than ours.
                if error.category != PROTOCOL_ERROR:
                    raise
                found["functions_missing"] = True
            else:
                found["meta"] = meta
    except ByodError as error:
        found = {"error": error}
    except Exception:  # a bug of ours must not stop the batch: recorded as ours
        log.exception("health probe of connection %s failed unexpectedly", connection.pk)
        found = {"error": ByodError(INTERNAL_ERROR, "unexpected error in the health probe")}
    elapsed = round((time.monotonic() - started) * 1000)
    return Probe(connection.pk, at, elapsed, **found)


# --- sweeping and batches ------------------------------------------------------------------


def _claim(ids: Sequence[int], now: datetime, *, force: bool = False) -> tuple[str, int]:
    """Claim the connections `ids` that are due (or, with `force`, not claimed by a live
    batch) in one conditional UPDATE; returns the claim token and how many it got."""
    token = uuid.uuid4().hex
    free = (
        due_q(now) if not force else checkable_q() & (Q(check_claim="") | Q(next_check_at__lte=now))
    )
    claimed = (
        Connection.objects.filter(pk__in=list(ids))
        .filter(free)
        .update(check_claim=token, next_check_at=now + timedelta(seconds=claim_seconds()))
    )
    return token, claimed


def sweep(*, now: datetime | None = None, enqueue: bool = True) -> list[str]:
    """Claim every due connection, a batch at a time, and enqueue a check per batch (or, without
    `enqueue`, leave them for the caller); returns the claim tokens."""
    now = now or timezone.now()
    size = conf().health.batch_size
    due = Connection.objects.due_for_check(now).order_by(
        F("next_check_at").asc(nulls_first=True), "pk"
    )
    claims: list[str] = []
    while ids := list(due.values_list("pk", flat=True)[:size]):
        claim, count = _claim(ids, now)
        if count:
            claims.append(claim)
            if enqueue:
                check_batch_task.enqueue(claim)
    if claims:
        log.info("health sweep: %d batch(es) claimed", len(claims))
    return claims


def check_batch(claim: str, *, concurrency: int | None = None) -> Recorded:
    """Probe the connections of the batch `claim` and record the outcomes (bulk), those done so
    far about every RECORD_EVERY seconds: one slow deployment (each probe may take up to its
    deadline) delays no other connection's result."""
    rows = list(Connection.objects.filter(check_claim=claim).select_related("user"))
    recorded = Recorded()
    if not rows:
        return recorded
    workers = max(1, min(concurrency or conf().health.concurrency, len(rows)))
    done: list[Probe] = []
    flushed = time.monotonic()

    def record(*, last: bool = False) -> None:
        nonlocal done, flushed
        if done and (last or time.monotonic() - flushed >= RECORD_EVERY):
            _add(recorded, transitions.record_probes(claim, done))
            done, flushed = [], time.monotonic()

    if workers == 1:
        for row in rows:
            done.append(probe(row))
            record()
    else:
        # Threads only wait on HTTP and never touch the database; this thread records.
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe") as pool:
            pending = {pool.submit(probe, row) for row in rows}
            while pending:
                left = max(0.0, flushed + RECORD_EVERY - time.monotonic())
                finished, pending = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
                done += [f.result() for f in finished]
                record()
    record(last=True)
    _repair_drift(recorded)
    return recorded


def _add(total: Recorded, part: Recorded) -> None:
    total.checked += part.checked
    total.skipped += part.skipped
    total.changes += part.changes


def _repair_drift(recorded: Recorded) -> None:
    if not conf().health.repair_drift:
        return
    for change in recorded.changes:
        if not change.drift_found:
            continue
        connection = change.connection
        try:
            request_deploy(
                connection, trigger=DeploymentTrigger.HEALTH, version=connection.deployed_version
            )
        except ByodError as error:
            log.warning("drift repair of connection %s refused: %s", connection.pk, error)


# --- on request ----------------------------------------------------------------------------


def request_check(connection: Connection) -> None:
    """Make the connection due now and enqueue its check ("Check now"). A check already under
    way is left alone: its outcome is the answer."""
    queue_checks(Connection.objects.filter(pk=connection.pk))


def queue_checks(selected: Any) -> int:
    """Make the connections of the queryset `selected` due now and enqueue their checks, a
    batch per task; returns how many were queued. Returns at once."""
    now = timezone.now()
    ids = list(selected.filter(checkable_q()).values_list("pk", flat=True))
    Connection.objects.filter(pk__in=ids, check_claim="").update(
        next_check_at=now, check_requested_at=now
    )
    size = conf().health.batch_size
    for start in range(0, len(ids), size):
        check_connections_task.enqueue(ids[start : start + size])
    return len(ids)


def check_connections(ids: list[int]) -> Recorded:
    """Check these connections if they are due (what a requested check runs on the worker)."""
    claim, count = _claim(ids, timezone.now())
    return check_batch(claim) if count else Recorded()


Progress = Callable[[int, int], None]  # (checked so far, of how many)


def check_in_process(
    selected: Iterable[Connection],
    *,
    only_due: bool = False,
    concurrency: int | None = None,
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Check the selected connections in this process, batch by batch (each claimed like a
    sweep's, so a worker's sweep never probes them at the same time); returns (checked, skipped:
    under way elsewhere or not checkable)."""
    ids = [c.pk for c in selected]
    size = conf().health.batch_size
    checked = 0
    for start in range(0, len(ids), size):
        claim, count = _claim(ids[start : start + size], timezone.now(), force=not only_due)
        if count:
            checked += check_batch(claim, concurrency=concurrency).checked
        if progress is not None:
            progress(min(start + size, len(ids)), len(ids))
    return checked, len(ids) - checked


# --- batches whose worker died ------------------------------------------------------------


def close_abandoned_batches() -> int:
    """Close the task rows of batches still RUNNING long after their claim expired: their
    worker died (a live batch ends within its claim, every probe having a deadline). Their
    connections were due again when the claim expired. How many."""
    since = timezone.now() - timedelta(seconds=claim_seconds() + 60)
    why = (
        "The worker running this health check stopped before it finished (it ran past the "
        "batch's claim). Its connections were due again once the claim expired."
    )
    return sum(
        task_rows.close_abandoned(task, started_before=since, why=why)
        for task in (check_batch_task, check_connections_task)
    )


# --- tasks: thin wrappers taking JSON arguments ------------------------------------------


@task()
def sweep_task() -> int:
    """The scheduler's periodic sweep: claim the due connections, enqueue their batches."""
    return len(sweep())


@task()
def check_batch_task(claim: str) -> int:
    """Probe one claimed batch."""
    return check_batch(claim).checked


@task(priority=priorities.USER)  # "Check now", an operator's "Check credentials now"
def check_connections_task(ids: list[int]) -> int:
    """Check connections someone asked about (made due by `queue_checks`)."""
    return check_connections(ids).checked
