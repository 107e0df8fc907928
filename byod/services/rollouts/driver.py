"""Where a rollout runs: drivers on the task workers claim connections and deploy them.

A rollout started (or resumed) enqueues one `drive_task` per driver slot and a watchdog. A
driver holds its slot's lease (a RolloutDriver row) and runs up to max_in_flight / drivers
deploys at once in threads of its worker process: a `db_worker` runs one task at a time, so
threads are how one process keeps many deploys waiting on the network at once.

Every claim happens in one transaction that locks the rollout row (PostgreSQL: SELECT ... FOR
UPDATE; SQLite: the write lock of an IMMEDIATE transaction), counts the rollout's running
deploys and starts at most the difference to max_in_flight: the limit holds across any number
of processes and machines. A claim takes, in order: retries that are due, then the next
connections of the lowest wave still waiting, never a later wave while an earlier one has a
deploy queued or running. A connection already on the version and package hash is skipped.
Starting a deploy takes its connection's lease and marks it running in the same transaction,
so no two workers ever deploy one connection at once.

A driver gives way to a person's task that waited past a short grace (`byod.services.priorities`):
it stops claiming, lets its deploys in flight finish, and hands its slot to a new driver task
queued behind that task, which thus waits for one deploy's time at most.

A driver whose process died stops renewing its slot's lease; its deploys' leases expire too.
The reaper records those as `worker_lost` and leaves their retries to the drivers, and
whoever notices the dead slot (another driver, the watchdog) enqueues a replacement.
"""

from __future__ import annotations

import logging
import math
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.models import Count, Min, Q
from django.tasks import task
from django.utils import timezone

from byod import transitions
from byod.conf import conf
from byod.models import (
    ACTIVE_DEPLOYMENT_STATUSES,
    Deployment,
    DeploymentStatus,
    MemberState,
    Rollout,
    RolloutDriver,
    RolloutMember,
    RolloutStatus,
    wave_name,
)
from byod.services import priorities, task_rows
from byod.services.deploys import lease
from byod.services.deploys import run as deploy
from byod.services.rollouts import slots

log = logging.getLogger(__name__)

# How often a driver with nothing running looks for work again: soon at first, then less and
# less often while there is none (e.g. only retries waiting for their time), up to the cap.
IDLE_SECONDS, IDLE_CAP_SECONDS = 0.2, 2.0
# How often a driver looks for a person's task waiting (one indexed query).
LOOK_FOR_USER_WORK_SECONDS = 1.0


# --- starting drivers ------------------------------------------------------------------------


def launch(rollout: Rollout) -> None:
    """Enqueue the rollout's drivers and its watchdog once the transaction commits."""
    slots = [RolloutDriver(rollout=rollout, slot=s) for s in range(rollout.drivers)]
    RolloutDriver.objects.bulk_create(slots, ignore_conflicts=True)
    rollout_id, count = rollout.pk, rollout.drivers

    def enqueue() -> None:
        for slot in range(count):
            drive_task.enqueue(rollout_id, slot)
        watch_rollout_task.using(run_after=_watch_time()).enqueue(rollout_id)

    transaction.on_commit(enqueue)


def revive_dead_drivers(rollout_id: int) -> int:
    """Enqueue a driver for each slot whose lease expired (its process died); how many."""
    now = timezone.now()
    close_dead_drivers_rows(rollout_id)
    expired = RolloutDriver.objects.filter(rollout_id=rollout_id).filter(
        Q(expires_at__lt=now) | Q(expires_at__isnull=True)
    )
    revived = 0
    for slot in expired.values_list("slot", flat=True):
        # Reserve the slot for the replacement (owner "", a fresh expiry), so the next look
        # does not enqueue another one while this one waits for a free worker.
        reserved = (
            RolloutDriver.objects.filter(rollout_id=rollout_id, slot=slot)
            .filter(Q(expires_at__lt=now) | Q(expires_at__isnull=True))
            .update(owner="", expires_at=now + timedelta(seconds=lease.lease_seconds()))
        )
        if reserved:
            log.warning("rollout %s: driver %s is gone; starting another", rollout_id, slot)
            drive_task.enqueue(rollout_id, slot)
            revived += 1
    return revived


def close_dead_drivers_rows(rollout_id: int) -> int:
    """Close the task rows that drivers of expired slots left RUNNING (their worker died, or
    was killed): those started before the slot's lease ran out. How many."""
    now = timezone.now()
    closed = 0
    expired = RolloutDriver.objects.filter(rollout_id=rollout_id, expires_at__lt=now)
    for slot, expired_at in expired.values_list("slot", "expires_at"):
        closed += task_rows.close_abandoned(
            drive_task,
            args=[rollout_id, slot],
            started_before=expired_at,
            why=(
                f"The worker running driver {slot} of rollout {rollout_id} stopped before the "
                "rollout ended (the driver's lease expired). Its deploys were reaped and retried; "
                "another driver took its slot over."
            ),
        )
    return closed


def _hand_over_slot(rollout_id: int, slot: int, owner: str) -> None:
    """Give the slot to a new driver task, queued behind the work we make room for; reserved
    for it (owner "", a fresh expiry) so that nobody takes it for dead meanwhile."""
    expires = timezone.now() + timedelta(seconds=lease.lease_seconds())
    handed = RolloutDriver.objects.filter(rollout_id=rollout_id, slot=slot, owner=owner).update(
        owner="", expires_at=expires
    )
    if handed:
        drive_task.enqueue(rollout_id, slot)


# --- one driver --------------------------------------------------------------------------------


def drive(rollout_id: int, slot: int) -> None:
    """Run the rollout's deploys in this process until it is finished, paused or aborted, or
    until a person's task waits for this worker (then a new driver task takes the slot over)."""
    owner = lease.new_owner()
    if not slots.take(rollout_id, slot, owner):
        return  # another live driver holds this slot
    rollout = Rollout.objects.filter(pk=rollout_id).first()
    if rollout is None:
        return
    threads = max(1, math.ceil(rollout.max_in_flight / max(1, rollout.drivers)))
    batch = claim_batch(threads)
    idle = IDLE_SECONDS
    status: str = rollout.status
    renew_every = lease.lease_seconds() / 3
    renewed = time.monotonic()
    running: set[Future[None]] = set()
    looked = time.monotonic()
    giving_way = False
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"rollout{rollout_id}")
    try:
        while True:
            if time.monotonic() - renewed > renew_every:
                if not slots.renew(rollout_id, slot, owner):
                    log.warning("rollout %s: driver %s lost its slot", rollout_id, slot)
                    break
                renewed = time.monotonic()
                revive_dead_drivers(rollout_id)
            deploy.reap_now_and_then()
            if not giving_way and time.monotonic() - looked >= LOOK_FOR_USER_WORK_SECONDS:
                looked = time.monotonic()
                giving_way = priorities.user_work_waiting()
                if giving_way:
                    log.info("rollout %s: driver %s makes room for a person", rollout_id, slot)
            free = threads - len(running)
            # Claim in batches (a claim costs a few statements however many it starts).
            if not giving_way and (free >= batch or not running):
                status, claimed = claim(rollout_id, free, owner)
            else:
                claimed = []
            for deployment in claimed:
                running.add(pool.submit(_run_in_thread, deployment, owner))
            idle = IDLE_SECONDS if claimed else idle
            if running:
                done, _ = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
                running -= done
                for future in done:
                    future.result()  # a bug in our code should not be silent
            elif giving_way or status != RolloutStatus.RUNNING:
                break
            else:
                time.sleep(idle)
                idle = min(idle * 2, IDLE_CAP_SECONDS)
    finally:
        # Each thread closes its database connection as the pool winds down.
        for _ in range(threads):
            pool.submit(_close_connections)
        pool.shutdown(wait=True)
        if giving_way:
            _hand_over_slot(rollout_id, slot, owner)
        else:
            slots.release(rollout_id, slot, owner)


def claim_batch(threads: int) -> int:
    """How many free threads a driver waits for before it claims again: a claim costs 9
    statements however many it starts, a deploy 8; a third of the threads keeps a claim's
    share at or under 2 statements per deploy (at 13 threads: claims of 5) while the threads
    waiting for the batch to fill stay few."""
    return max(1, math.ceil(threads / 3))


def _run_in_thread(deployment: Deployment, owner: str) -> None:
    # The thread keeps its database connection from one deploy to the next (opening one per
    # deploy cost more CPU than the deploy's queries); one that failed is closed, and the
    # rest close when the driver's threads end.
    try:
        deploy.carry_on(deployment, owner)
    except DatabaseError:
        log.exception("rollout deploy %s: database error", deployment.pk)
        connections.close_all()  # this thread's connections only
    except Exception:  # recorded on the row as internal_error by the deploy service
        log.exception("rollout deploy %s raised", deployment.pk)


def _close_connections() -> None:
    connections.close_all()  # the calling thread's


# --- claiming --------------------------------------------------------------------------------


def claim(rollout_id: int, want: int, owner: str) -> tuple[str, list[Deployment]]:
    """Start up to `want` deploys of the rollout within its in-flight limit; returns the
    rollout's status and the deploys started (running, leases held by `owner`)."""
    try:
        return _claim(rollout_id, want, owner)
    except IntegrityError:
        # A connection got another deploy (a person's) between our read and our insert: the
        # whole claim, leases included, was rolled back; the next round tries again.
        return RolloutStatus.RUNNING, []


def _claim(rollout_id: int, want: int, owner: str) -> tuple[str, list[Deployment]]:
    with transaction.atomic():
        rollout = Rollout.objects.select_for_update().filter(pk=rollout_id).first()
        if rollout is None:
            return RolloutStatus.ABORTED, []
        if rollout.status != RolloutStatus.RUNNING or want < 1:
            return rollout.status, []
        mine = Deployment.objects.filter(rollout_id=rollout_id)
        is_active = Q(status__in=ACTIVE_DEPLOYMENT_STATUSES)
        failed_here = Q(status=DeploymentStatus.FAILED, wave=rollout.current_wave)
        # One statement for what runs and what the stop rule needs.
        active = mine.filter(is_active | failed_here).aggregate(
            running=Count("pk", filter=Q(status=DeploymentStatus.RUNNING)),
            queued=Count("pk", filter=Q(status=DeploymentStatus.QUEUED)),
            failed=Count("pk", filter=failed_here),
            lowest=Min("wave", filter=is_active),
        )
        free = min(want, rollout.max_in_flight - active["running"])
        if free < 1:
            return rollout.status, []
        if _stop_rule_hit(rollout, active["failed"]):
            return rollout.status, []
        started = _due_retries(rollout, free, owner) if active["queued"] else []
        free -= len(started)
        if free > 0:
            started += _next_members(rollout, free, owner, active["lowest"])
        if not started and not active["running"] and not active["queued"]:
            if not RolloutMember.objects.filter(
                rollout_id=rollout_id, state=MemberState.PENDING
            ).exists():
                transitions.rollout_completed(rollout)
        return rollout.status, started


def _due_retries(rollout: Rollout, free: int, owner: str) -> list[Deployment]:
    now = timezone.now()
    due = (
        Deployment.objects.filter(rollout=rollout, status=DeploymentStatus.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .select_related("connection__user")
        .order_by("wave", "pk")[:free]
    )
    return [d for d in due if deploy.begin(d, owner)]


def _next_members(
    rollout: Rollout, free: int, owner: str, lowest_active: int | None
) -> list[Deployment]:
    """Start the next connections of the lowest wave still waiting, in order."""
    pending = RolloutMember.objects.filter(rollout=rollout, state=MemberState.PENDING)
    members = list(
        pending.exclude(connection__deployments__status__in=ACTIVE_DEPLOYMENT_STATUSES)
        .select_related("connection__user")
        .order_by("wave", "position")[:free]
    )
    if not members:
        return []
    wave = members[0].wave
    if lowest_active is not None and lowest_active < wave:
        return []  # the wave before still has deploys queued or running
    members = [m for m in members if m.wave == wave]
    if wave > rollout.current_wave:
        transitions.wave_reached(rollout, wave)
    on_target = [
        m
        for m in members
        if m.connection.deployed_version == rollout.version
        and m.connection.deployed_package_hash == rollout.package_hash
    ]
    if on_target:  # deployed meanwhile (by a person, or an earlier rollout): nothing to do
        RolloutMember.objects.filter(pk__in=[m.pk for m in on_target]).update(
            state=MemberState.SKIPPED
        )
        members = [m for m in members if m not in on_target]
    ids = [m.connection_id for m in members]
    moved = transitions.deploying_fields(timezone.now())
    held = lease.take_many(ids, owner, also=moved) if members else set()
    members = [m for m in members if m.connection_id in held]
    if not members:
        return []
    started = transitions.deploys_started(
        rollout,
        [m.connection for m in members],
        wave=wave,
        worker=owner,
        max_attempts=conf().deploys.max_attempts,
    )
    RolloutMember.objects.filter(pk__in=[m.pk for m in members]).update(state=MemberState.STARTED)
    return started


def _stop_rule_hit(rollout: Rollout, failed: int) -> bool:
    """Pause the rollout if its current wave's `failed` deploys reached the stop rule (the
    canary's own count when it has one)."""
    wave = rollout.current_wave
    canary_rule = wave == 0 and rollout.stop_canary_failures is not None
    if not canary_rule and rollout.stop_failures is None and rollout.stop_failure_percent is None:
        return False
    if rollout.accepted_wave == wave:
        failed -= rollout.accepted_failures
    if failed <= 0:
        return False
    planned = (
        RolloutMember.objects.filter(rollout=rollout, wave=wave)
        .exclude(state=MemberState.SKIPPED)
        .count()
    )
    if canary_rule:
        by_count = failed >= (rollout.stop_canary_failures or 1)
        by_rate = False
    else:
        by_count = rollout.stop_failures is not None and failed >= rollout.stop_failures
        by_rate = rollout.stop_failure_percent is not None and (
            failed * 100 >= rollout.stop_failure_percent * max(1, planned)
        )
    if not (by_count or by_rate):
        return False
    name = wave_name(wave, in_a_sentence=True)
    transitions.rollout_paused(
        rollout, reason=f"stop rule: {failed} of {planned} deploys of {name} failed"
    )
    return True


# --- the watchdog ----------------------------------------------------------------------------


def _watch_time() -> datetime:
    return timezone.now() + timedelta(seconds=lease.lease_seconds())


def watch_rollout(rollout_id: int) -> None:
    """Reap deploys of dead workers, replace dead drivers (closing their task rows), look again
    later while needed."""
    deploy.reap_and_retry()
    close_dead_drivers_rows(rollout_id)
    rollout = Rollout.objects.filter(pk=rollout_id).first()
    if rollout is None or rollout.is_finished:
        return
    if rollout.status == RolloutStatus.RUNNING:
        revive_dead_drivers(rollout_id)
    elif not rollout.deployments.filter(status=DeploymentStatus.RUNNING).exists():
        return  # paused and quiet: resuming starts drivers and a watchdog again
    watch_rollout_task.using(run_after=_watch_time()).enqueue(rollout_id)


# --- tasks -----------------------------------------------------------------------------------


@task(priority=priorities.ROLLOUT)  # gives way to a person's work: see `drive`
def drive_task(rollout_id: int, slot: int) -> None:
    """Run one driver slot of a rollout until the rollout stops needing it."""
    drive(rollout_id, slot)


@task()
def watch_rollout_task(rollout_id: int) -> None:
    """Now and then while a rollout runs: reap dead workers' deploys, replace dead drivers."""
    watch_rollout(rollout_id)
