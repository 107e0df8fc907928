"""Only the holder writes: a worker records an attempt's outcomes only while it holds the attempt.

The lease decides who may start an attempt; this decides who may record one. The token is the
deploy instance's `holder` (`byod.models.Holder`: the owner of the connection's lease and the
attempt's number), set by the worker that runs the attempt and by the reaper that records a
lost one. Every write a transition makes with such an instance carries the token's condition in
the UPDATE that writes (one statement: the check and the write cannot be told apart by another
process), so a worker that lost its attempt (stopped past its lease: the reaper recorded the
attempt, another one may run) matches no row. Its write is dropped and logged (a warning naming
the deploy, its token and the current one), never shown, and `save_progress` answering False
makes it stop before its next call that changes the deployment.

An instance without a holder (a person's action, an operator's command) is not fenced.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Exists, OuterRef, Q

from byod.models import Connection, Deployment
from byod.transitions.base import NotHolder, TransitionError, _move, _move_known

log = logging.getLogger(__name__)


def on_deployment(deployment: Deployment) -> Q:
    """The condition for an UPDATE of the deploy's own row."""
    holder = deployment.holder
    if holder is None:
        return Q()
    leased = Connection.objects.filter(pk=OuterRef("connection_id"), lease_owner=holder.owner)
    return Q(attempt=holder.attempt) & Q(Exists(leased))


def on_connection(deployment: Deployment) -> Q:
    """The condition for an UPDATE of the deploy's connection."""
    holder = deployment.holder
    if holder is None:
        return Q()
    attempt = Deployment.objects.filter(pk=deployment.pk, attempt=holder.attempt)
    return Q(lease_owner=holder.owner) & Q(Exists(attempt))


def on_other(deployment: Deployment) -> Q:
    """The condition for an UPDATE of another row the attempt writes (its migration runs)."""
    holder = deployment.holder
    if holder is None:
        return Q()
    held = Deployment.objects.filter(
        pk=deployment.pk, attempt=holder.attempt, connection__lease_owner=holder.owner
    )
    return Q(Exists(held))


def holds(deployment: Deployment, *, lock: bool = False) -> bool:
    """Whether the deploy's holder (if any) still holds its attempt; with `lock`, the deploy's
    row stays locked until the transaction ends (PostgreSQL; SQLite serializes writers)."""
    if deployment.holder is None:
        return True
    rows = Deployment.objects.filter(pk=deployment.pk).filter(on_deployment(deployment))
    return (rows.select_for_update() if lock else rows).exists()


def lost(deployment: Deployment, what: str) -> bool:
    """After a fenced write matched no row: True, with a warning naming both tokens, when the
    holder lost the attempt (the write is dropped); False when the write failed for another
    reason (the deploy's status changed, which its caller handles)."""
    holder = deployment.holder
    if holder is None:
        return False
    now = (
        Deployment.objects.filter(pk=deployment.pk)
        .values("attempt", "status", "connection__lease_owner")
        .first()
    )
    if now is not None and (
        now["attempt"] == holder.attempt and now["connection__lease_owner"] == holder.owner
    ):
        return False
    current = (
        f"attempt {now['attempt']} ({now['status']}), lease held by "
        f"{now['connection__lease_owner'] or 'nobody'}"
        if now is not None
        else "gone"
    )
    log.warning(
        "deploy %s: dropped %s from %s, which no longer holds it; the deploy is now %s",
        deployment.pk,
        what,
        holder,
        current,
    )
    return True


def refuse(deployment: Deployment, what: str) -> NotHolder | None:
    """`lost`, as the error a transition raises (None when the hold is not what failed)."""
    if not lost(deployment, what):
        return None
    return NotHolder(deployment, what)


def stop_if_lost(deployment: Deployment, what: str) -> None:
    """A fenced write matched no row: raise `NotHolder` if the holder lost the attempt."""
    refused = refuse(deployment, what)
    if refused is not None:
        raise refused


def move(deployment: Deployment, what: str, **how: Any) -> str:
    """`_move` of the deploy, written only while its holder (if any) holds the attempt."""
    try:
        return _move(deployment, where=on_deployment(deployment), **how)
    except TransitionError:
        stop_if_lost(deployment, what)
        raise


def move_connection(deployment: Deployment, what: str, *, known: bool = False, **how: Any) -> str:
    """`_move` (`_move_known` when `known`) of the deploy's connection, in the transaction
    that moved the deploy: written only while the deploy's holder (if any) still holds the
    lease (else the whole outcome rolls back)."""
    mover = _move_known if known else _move
    try:
        return mover(deployment.connection, where=on_connection(deployment), **how)
    except TransitionError:
        stop_if_lost(deployment, what)
        raise
