"""Status moves of a Rollout: planned -> running <-> paused; running -> completed; any
unfinished -> aborted. Each move adds a line (who, what, why) to the rollout's own log, since a
rollout's history is not one connection's (the Events of its deploys stay per connection)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Concat
from django.utils import timezone

from byod.models import (
    Connection,
    ConnectionStatus,
    Deployment,
    DeploymentStatus,
    DeploymentTrigger,
    DeployPhase,
    Event,
    EventKind,
    Rollout,
    RolloutStatus,
    wave_name,
)
from byod.transitions.base import _move, event

if TYPE_CHECKING:
    from accounts.models import User

RS = RolloutStatus
CS = ConnectionStatus


def log_line(rollout: Rollout, line: str, *, actor: User | None = None, who: str = "") -> None:
    """Add a line to the rollout's log (not a status move). `who` names an actor without a
    user row (the OS user of a command); neither: "system"."""
    name = actor.get_username() if actor is not None else who or "system"
    text = f"{timezone.now():%Y-%m-%d %H:%M:%S} {name}: {line}\n"
    Rollout.objects.filter(pk=rollout.pk).update(log=Concat(F("log"), Value(text)))
    rollout.log += text


@transaction.atomic
def rollout_started(rollout: Rollout, *, actor: User | None = None, who: str = "") -> None:
    _move(rollout, allowed_from=(RS.PLANNED,), to=RS.RUNNING, started_at=timezone.now())
    log_line(
        rollout, f"started: v{rollout.version} to {rollout.waves} wave(s)", actor=actor, who=who
    )


@transaction.atomic
def rollout_paused(
    rollout: Rollout, *, reason: str, actor: User | None = None, who: str = ""
) -> None:
    """running -> paused: no new deploy starts; those running finish."""
    _move(rollout, allowed_from=(RS.RUNNING,), to=RS.PAUSED, paused_reason=reason)
    log_line(rollout, f"paused: {reason}", actor=actor, who=who)


@transaction.atomic
def rollout_resumed(rollout: Rollout, *, actor: User | None = None, who: str = "") -> None:
    _move(rollout, allowed_from=(RS.PAUSED,), to=RS.RUNNING, paused_reason="")
    log_line(rollout, "resumed", actor=actor, who=who)


@transaction.atomic
def rollout_aborted(
    rollout: Rollout, *, reason: str = "", actor: User | None = None, who: str = ""
) -> None:
    """Any unfinished status -> aborted (the caller cancels what is queued). The offer is
    withdrawn from every member whose deploy did not start (``offered_by_rollouts``)."""
    _move(
        rollout,
        allowed_from=(RS.PLANNED, RS.RUNNING, RS.PAUSED),
        to=RS.ABORTED,
        finished_at=timezone.now(),
    )
    log_line(rollout, f"aborted{': ' + reason if reason else ''}", actor=actor, who=who)


@transaction.atomic
def rollout_completed(rollout: Rollout) -> None:
    """running -> completed; the version is offered to everyone from now on."""
    now = timezone.now()
    _move(rollout, allowed_from=(RS.RUNNING,), to=RS.COMPLETED, finished_at=now)
    log_line(rollout, "completed")
    if rollout.opened_at is None:
        _open(rollout, now, "the rollout completed")


def rollout_opened(
    rollout: Rollout, *, actor: User | None = None, who: str = "", why: str = ""
) -> bool:
    """Offer the version to everyone now (self-service updates); False when it already was.
    Not a status move: an aborted rollout cannot be opened (``NotAllowed`` is the caller's)."""
    return _open(rollout, timezone.now(), why or "opened by an operator", actor=actor, who=who)


def _open(
    rollout: Rollout, now: datetime, why: str, *, actor: User | None = None, who: str = ""
) -> bool:
    opened = (
        Rollout.objects.filter(pk=rollout.pk, opened_at__isnull=True)
        .exclude(status=RS.ABORTED)
        .update(opened_at=now)
    )
    if opened:
        rollout.opened_at = now
        log_line(
            rollout,
            f"v{rollout.version} offered to every user ({why})",
            actor=actor,
            who=who,
        )
    return bool(opened)


def wave_reached(rollout: Rollout, wave: int) -> None:
    """Move the rollout's current wave forward to `wave` (never back). Reaching the wave after
    `open_after_wave` offers the version to everyone."""
    moved = Rollout.objects.filter(pk=rollout.pk, current_wave__lt=wave).update(current_wave=wave)
    if moved:
        rollout.current_wave = wave
        # Not "canary done": a rollout without a canary starts at wave 1 too.
        log_line(rollout, f"{wave_name(wave)} started")
        after = rollout.open_after_wave
        if after is not None and wave > after and rollout.opened_at is None:
            _open(rollout, timezone.now(), f"{wave_name(after, in_a_sentence=True)} ended")


# The connection statuses a rollout's deploy moves to deploying as it starts.
MOVABLE = (CS.PENDING, CS.CONNECTED, CS.ERROR, CS.DEPLOYING)


def deploying_fields(now: datetime) -> dict[str, Any]:
    """What starting a rollout's deploy changes on its connection, as UPDATE expressions: the
    driver sets them in the UPDATE that takes the connections' leases (one statement fewer
    per claim). A connection in another status (e.g. disconnected) keeps it."""
    movable = Q(status__in=MOVABLE)
    return {
        "status": Case(When(movable, then=Value(CS.DEPLOYING)), default=F("status")),
        "updated_at": Case(When(movable, then=Value(now)), default=F("updated_at")),
    }


def deploys_started(
    rollout: Rollout, connections: list[Connection], *, wave: int, worker: str, max_attempts: int
) -> list[Deployment]:
    """The rollout's deploys of `connections` (whose leases `worker` holds and whose statuses
    its lease UPDATE moved with `deploying_fields`), created running: a driver starts them in
    the transaction that counted what runs. One Event each. A few statements for the whole
    batch, not a few per deploy.

    Called inside the driver's claim transaction. Raises IntegrityError when one of the
    connections got another deploy meanwhile (one active deploy per connection): the caller
    rolls the whole claim back.
    """
    now = timezone.now()
    made = [
        Deployment(
            connection=c,
            from_version=c.deployed_version,
            to_version=rollout.version,
            package_hash=rollout.package_hash,
            trigger=DeploymentTrigger.ROLLOUT,
            status=DeploymentStatus.RUNNING,
            attempt=1,
            max_attempts=max_attempts,
            started_at=now,
            # The first phase of the push, saved now: the worker's first write is then later.
            phase=DeployPhase.UPLOADING,
            log=f"{now:%H:%M:%S} {DeployPhase.UPLOADING.line()}\n",
            rollout=rollout,
            wave=wave,
        )
        for c in connections
    ]
    Deployment.objects.bulk_create(made)
    name = wave_name(wave, in_a_sentence=True)
    events = []
    for deployment in made:
        connection = deployment.connection
        if connection.status in MOVABLE:
            connection.status = CS.DEPLOYING
        start = f"v{deployment.from_version}" if deployment.from_version is not None else "nothing"
        said = (
            f"Deploy of {start} -> v{deployment.to_version} started by rollout #{rollout.pk} "
            f"({name}; attempt 1 of {max_attempts})."
        )
        data = {"attempt": 1, "worker": worker, "trigger": "rollout", "rollout": rollout.pk}
        events.append(
            event(connection, EventKind.DEPLOY_RUNNING, said, deployment=deployment, data=data)
        )
    Event.objects.bulk_create(events)
    return made
