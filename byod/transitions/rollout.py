"""Status moves of a Rollout: planned -> running <-> paused; running -> completed; any
unfinished -> aborted. Each move adds a line (who, what, why) to the rollout's own log, since a
rollout's history is not one connection's (the Events of its deploys stay per connection)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from byod.models import Rollout, RolloutStatus
from byod.transitions.base import _move

if TYPE_CHECKING:
    from accounts.models import User

RS = RolloutStatus


def log_line(rollout: Rollout, line: str, *, actor: User | None = None) -> None:
    """Add a line to the rollout's log (not a status move)."""
    who = actor.get_username() if actor is not None else "system"
    text = f"{timezone.now():%Y-%m-%d %H:%M:%S} {who}: {line}\n"
    Rollout.objects.filter(pk=rollout.pk).update(log=Concat(F("log"), Value(text)))
    rollout.log += text


@transaction.atomic
def rollout_started(rollout: Rollout, *, actor: User | None = None) -> None:
    _move(rollout, allowed_from=(RS.PLANNED,), to=RS.RUNNING, started_at=timezone.now())
    log_line(rollout, f"started: v{rollout.version} to {rollout.waves} wave(s)", actor=actor)


@transaction.atomic
def rollout_paused(rollout: Rollout, *, reason: str, actor: User | None = None) -> None:
    """running -> paused: no new deploy starts; those running finish."""
    _move(rollout, allowed_from=(RS.RUNNING,), to=RS.PAUSED, paused_reason=reason)
    log_line(rollout, f"paused: {reason}", actor=actor)


@transaction.atomic
def rollout_resumed(rollout: Rollout, *, actor: User | None = None) -> None:
    _move(rollout, allowed_from=(RS.PAUSED,), to=RS.RUNNING, paused_reason="")
    log_line(rollout, "resumed", actor=actor)


@transaction.atomic
def rollout_aborted(rollout: Rollout, *, reason: str = "", actor: User | None = None) -> None:
    """Any unfinished status -> aborted (the caller cancels what is queued)."""
    _move(
        rollout,
        allowed_from=(RS.PLANNED, RS.RUNNING, RS.PAUSED),
        to=RS.ABORTED,
        finished_at=timezone.now(),
    )
    log_line(rollout, f"aborted{': ' + reason if reason else ''}", actor=actor)


@transaction.atomic
def rollout_completed(rollout: Rollout) -> None:
    _move(rollout, allowed_from=(RS.RUNNING,), to=RS.COMPLETED, finished_at=timezone.now())
    log_line(rollout, "completed")


def wave_reached(rollout: Rollout, wave: int) -> bool:
    """Move the rollout's current wave forward to `wave` (never back); True if this call did."""
    moved = Rollout.objects.filter(pk=rollout.pk, current_wave__lt=wave).update(current_wave=wave)
    if moved:
        rollout.current_wave = wave
        log_line(rollout, "canary done" if wave == 1 else f"wave {wave} started")
    return moved == 1
