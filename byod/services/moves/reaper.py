"""Finding moves whose worker died: back to the queue, to resume from their cursors.

A running move's worker renews the leases of the move's connections (its own ones: the main
deployment is never leased). When none of them is held by the move's worker any more (expired,
or taken by someone else), the worker is gone: the move goes back to queued (an Event says so)
and its next attempt resumes where the per-table cursors say. The worker, should it wake up,
finds the move no longer its own at its next write and stops (`MoveStopped`).
"""

from __future__ import annotations

import logging

from django.db.models import Q
from django.utils import timezone

from byod import transitions
from byod.models import Connection, Move, MoveStatus

log = logging.getLogger(__name__)


def reap_abandoned_moves() -> list[int]:
    """Moves put back in the queue (ids)."""
    now = timezone.now()
    working = Move.objects.filter(status__in=(MoveStatus.RUNNING, MoveStatus.VERIFYING))
    reaped: list[int] = []
    for move in working.select_related("source", "destination"):
        alive = Connection.objects.filter(
            Q(pk__in=move.leased, lease_owner=move.worker, lease_expires_at__gte=now)
        )
        if move.worker and alive.exists():
            continue
        try:
            transitions.move_interrupted(move)
        except transitions.TransitionError:
            continue  # it ended, or moved on, meanwhile
        log.warning("move %s: worker lost (lease expired); back in the queue", move.pk)
        reaped.append(move.pk)
    return reaped
