"""Running a move on a worker: claim it with the leases of its connections, run its phases
(`byod.services.moves.phases`), record how the attempt ended; and the tasks that do it.

- `run_move` (what `move_task` runs) takes the lease of each of the move's connections that is
  a user's own (kind `move`: a deploy to that connection waits, and a move waits for a deploy),
  never the main deployment's, which every user shares. A lease it cannot take: it looks again
  shortly.
- A failure that waiting can cure (the deployment away, busy, paused) makes the move wait and
  try again later, up to `BYOD_MOVE_MAX_ATTEMPTS`; any other fails it, and the user's content
  stays where it was (the location flips only at the end).
- A worker that dies stops renewing its leases: `watch_move_task` and the scheduler's reaper
  (`byod.services.moves.reaper`) put the move back in the queue, and it resumes from its cursors.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from byod import transitions
from byod.clients import Purpose, client_for
from byod.conf import conf
from byod.errors import (
    INTERNAL_ERROR,
    TRANSIENT_DATABASE_ERRORS,
    ByodError,
    LeaseLost,
    find,
)
from byod.models import LeaseKind, Move, MoveStatus
from byod.services import priorities, task_rows
from byod.services.deploys import lease
from byod.services.moves import reaper
from byod.services.moves.phases import Phases
from byod.services.moves.transfer import Transfer

log = logging.getLogger(__name__)

BUSY_POLL_SECONDS = 10.0  # a deploy holds a lease the move needs: look again this often
REAP_EVERY_SECONDS = 5.0
RUNNABLE = (MoveStatus.QUEUED, MoveStatus.WAITING)


def enqueue_move(
    move_id: int, *, run_after: datetime | None = None, for_person: bool = False
) -> None:
    """Enqueue a move's task; a person's goes before background work."""
    priority = priorities.USER if for_person else priorities.BACKGROUND
    move_task.using(run_after=run_after, priority=priority).enqueue(move_id)


def run_move(move_id: int, *, progress: Callable[[Move], None] | None = None) -> Move | None:
    """Run one attempt of a queued (or waiting) move; safe to call twice. `progress` is told
    after each saved batch (a command's bar). Returns the move as the attempt left it."""
    reap_now_and_then()
    move = Move.objects.select_related("source", "destination", "user").filter(pk=move_id).first()
    if move is None or move.status not in RUNNABLE:
        return move
    now = timezone.now()
    if move.next_attempt_at is not None and move.next_attempt_at > now:
        return move  # an early duplicate: the task enqueued for then runs it
    owner = lease.new_owner()
    taken = _take(move, owner)
    if taken is None:
        enqueue_move(move_id, run_after=now + timedelta(seconds=BUSY_POLL_SECONDS))
        return move
    try:
        try:
            transitions.move_running(move, worker=owner)
        except transitions.TransitionError:
            return move  # claimed elsewhere, or cancelled meanwhile
        watch_move_task.using(run_after=_watch_time()).enqueue(move_id)
        _attempt(move, [lease.Lease(cid, owner) for cid in taken], progress)
    finally:
        for cid in taken:
            lease.release(cid, owner)
    return move


def _take(move: Move, owner: str) -> list[int] | None:
    taken: list[int] = []
    for connection_id in move.leased:
        if not lease.take(connection_id, owner, kind=LeaseKind.MOVE):
            for held in taken:
                lease.release(held, owner)
            return None
        taken.append(connection_id)
    return taken


def _attempt(
    move: Move, leases: list[lease.Lease], progress: Callable[[Move], None] | None
) -> None:
    owner = move.worker
    try:
        with _transfer(move, leases) as transfer:
            Phases(move, transfer, leases, progress).run()
    except (transitions.MoveStopped, transitions.TransitionError) as stopped:
        log.info("move %s: stopped, no longer ours: %s", move.pk, stopped.detail)
    except LeaseLost:
        log.warning("move %s: lease lost; the reaper puts it back in the queue", move.pk)
    except ByodError as error:
        log.info("move %s failed: %s", move.pk, error.detail)
        _record_failure(move, error, owner)
    except TRANSIENT_DATABASE_ERRORS:
        # Our database away: nothing can be recorded now; the leases expire and the reaper
        # puts the move back in the queue.
        log.warning("move %s: our database failed", move.pk, exc_info=True)
    except Exception:
        log.exception("move %s: unexpected error", move.pk)
        with contextlib.suppress(transitions.TransitionError):
            transitions.move_failed(
                move, category=INTERNAL_ERROR, message="Unexpected error.", worker=owner
            )
        raise


@contextlib.contextmanager
def _transfer(move: Move, leases: list[lease.Lease]) -> Iterator[Transfer]:
    """The move's engine, its clients' writes fenced by the move's leases: each mutation is
    sent only while they are ours, and they are held until its deadline (a worker that lost
    the move, after a long pause, writes nothing more)."""
    source = client_for(move.source, purpose=Purpose.DATA_WORKER)
    source.hold = partial(_covering, leases)
    destination = None
    try:
        if move.destination is not None:
            destination = client_for(move.destination, purpose=Purpose.DATA_WORKER)
            destination.hold = partial(_covering, leases)
        yield Transfer(
            source=source,
            destination=destination,
            owner=str(move.user.external_id),
            move_id=move.token,
            batch=conf().moves.batch_size,
        )
    finally:
        source.close()
        if destination is not None:
            destination.close()


@contextlib.contextmanager
def _covering(leases: list[lease.Lease], deadline: float) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for held in leases:
            stack.enter_context(held.covering(deadline))
        yield


def _record_failure(move: Move, error: ByodError, owner: str) -> None:
    """Wait and try again when waiting can cure it, else fail the move."""
    kind = find(error.category)
    curable = error.retryable or (kind is not None and kind.about_deployment)
    settings = conf().moves
    try:
        if curable and move.attempts < settings.max_attempts:
            delay = settings.retry_seconds * min(2 ** max(move.attempts - 1, 0), 16)
            delay = max(delay, error.retry_after or 0.0)
            retry_at = timezone.now() + timedelta(seconds=delay)
            transitions.move_waiting(
                move, category=error.category, message=error.user_message, retry_at=retry_at
            )
            transaction.on_commit(lambda: enqueue_move(move.pk, run_after=retry_at))
        else:
            transitions.move_failed(
                move, category=error.category, message=error.user_message, worker=owner
            )
    except transitions.TransitionError:
        log.info("move %s: not recorded, changed meanwhile", move.pk)


# --- workers that died -----------------------------------------------------------------------


def reap_and_resume() -> list[int]:
    """Put moves whose worker died back in the queue, close the task rows their workers left
    running (so the task admin tells the truth), and enqueue them: they resume."""
    reaped = reaper.reap_abandoned_moves()
    # A dead worker's row started at least a lease ago; a live run of the same move (this
    # process's own, maybe) started since.
    started_before = timezone.now() - timedelta(seconds=lease.lease_seconds())
    for move_id in reaped:
        task_rows.close_abandoned(
            move_task,
            args=[move_id],
            started_before=started_before,
            why=f"The worker running move {move_id} stopped before it finished (its lease "
            "expired). The move went back to the queue and resumes where it was.",
        )
        enqueue_move(move_id)
    return reaped


_last_reap = [0.0]


def reap_now_and_then() -> None:
    now = time.monotonic()
    if now - _last_reap[0] >= REAP_EVERY_SECONDS:
        _last_reap[0] = now
        reap_and_resume()


def _watch_time() -> datetime:
    return timezone.now() + timedelta(seconds=lease.lease_seconds() + 1)


def watch_move(move_id: int) -> None:
    """The watchdog: reap the move if its worker died; look again later if it still runs."""
    reap_and_resume()
    running = Move.objects.filter(pk=move_id, status__in=(MoveStatus.RUNNING, MoveStatus.VERIFYING))
    if running.exists():
        watch_move_task.using(run_after=_watch_time()).enqueue(move_id)


# --- tasks: thin wrappers taking ids ----------------------------------------------------------


@task()
def move_task(move_id: int) -> None:
    """Run one attempt of a queued or waiting move."""
    run_move(move_id)


@task()
def watch_move_task(move_id: int) -> None:
    """After a move's lease would expire: reap it if its worker died."""
    watch_move(move_id)
