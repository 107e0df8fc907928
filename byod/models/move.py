"""Moves of one user's content between deployments: a job of its own, not columns of a connection.

A move goes queued -> running -> verifying -> done, and may wait (its deployment away), fail or be
cancelled; `byod.transitions.moves` makes every change and writes its Event. At most one move of
a user is unfinished at a time (a constraint). Its worker records progress per table in
`tables` (`{table: {cursor, copied, source_count, cleared, verified, removed, fixed, ...}}`), so a
move that lost its worker resumes where the cursors say.

From the moment a move is frozen (`frozen_at`) until it ends, the data plane refuses the user's
writes (`moving`); reads go on from the source, which stays the user's location until the flip.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from byod.models.connection import Connection


class MoveDirection(models.TextChoices):
    IN = "in", "In (main deployment to theirs)"
    BACK = "back", "Back (theirs to the main deployment)"
    DELETE = "delete", "Delete (in their deployment)"


class MoveStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting (deployment away)"
    VERIFYING = "verifying", "Verifying"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


UNFINISHED_MOVE_STATUSES = (
    MoveStatus.QUEUED,
    MoveStatus.RUNNING,
    MoveStatus.WAITING,
    MoveStatus.VERIFYING,
)
FINISHED_MOVE_STATUSES = (MoveStatus.DONE, MoveStatus.FAILED, MoveStatus.CANCELLED)


class MovePhase(models.TextChoices):
    """What a move is doing (its worker records it); the settings page words each member."""

    QUEUED = "queued", "queued"
    PREFLIGHT = "preflight", "checking both deployments"
    CLEARING = "clearing", "clearing an earlier partial copy"
    COPYING = "copying", "copying"
    FIXING = "fixing", "fixing references"
    VERIFYING = "verifying", "verifying"
    FLIPPING = "flipping", "switching the location"
    REMOVING = "removing", "removing"
    KEEPING = "keeping", "keeping the old copy"
    PURGED = "purged", "old copy purged"
    DONE = "done", "done"


class MoveQuerySet(models.QuerySet["Move"]):
    def unfinished(self) -> MoveQuerySet:
        return self.filter(status__in=UNFINISHED_MOVE_STATUSES)

    def frozen(self) -> MoveQuerySet:
        """Moves under which the user's writes are refused (`moving`)."""
        return self.unfinished().filter(frozen_at__isnull=False)

    def failed(self) -> MoveQuerySet:
        return self.filter(status=MoveStatus.FAILED)

    def due_for_purge(self, now: Any) -> MoveQuerySet:
        """Finished moves whose old copy was kept long enough."""
        return self.filter(
            status=MoveStatus.DONE, purge_after__lte=now, purged_at__isnull=True
        ).exclude(direction=MoveDirection.DELETE)


def new_token() -> str:
    return uuid.uuid4().hex


class Move(models.Model):
    """One move of one user's content."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="content_moves"
    )
    direction = models.CharField(max_length=8, choices=MoveDirection.choices)
    # The move's name on the deployments (the destination's id map, the batches' operation ids):
    # unique across databases, unlike the primary key.
    token = models.CharField(max_length=32, default=new_token, unique=True, editable=False)
    # RESTRICT: a connection a move reads or writes is never deleted under it.
    source = models.ForeignKey(Connection, on_delete=models.RESTRICT, related_name="moves_out")
    destination = models.ForeignKey(
        Connection, on_delete=models.RESTRICT, related_name="moves_in", null=True, blank=True
    )
    status = models.CharField(max_length=16, choices=MoveStatus.choices, default=MoveStatus.QUEUED)
    phase = models.CharField(max_length=16, choices=MovePhase.choices, default=MovePhase.QUEUED)
    phase_table = models.CharField(max_length=64, blank=True, default="")
    # {table: {cursor, copied, source_count, cleared, fixed, verified, removed, ...}}; written by
    # the worker (source_count arrives while the copy goes on).
    tables = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The lease owner of the worker running it (the leased connection's `lease_owner`).
    worker = models.CharField(max_length=64, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    purge_after = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    error_category = models.CharField(max_length=32, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    # A disconnect that waits for this move (bring back, delete): the deploy key is erased when
    # the move is done, or when the user gives it up; never before the chosen work finished.
    disconnect_after = models.BooleanField(default=False)
    # The URL the source had when the move was asked for: a connection pointed at another
    # deployment since is not the old copy's place any more (the purge leaves it alone).
    source_url = models.CharField(max_length=255, blank=True, default="")
    # New credentials that wait for this move (a move back on the way to another deployment of
    # the user's: `byod.services.moves.switching`): applied to the connection when it is done,
    # erased when it is given up or fails. The key is sealed like a connection's.
    switch_url = models.CharField(max_length=255, blank=True, default="")
    switch_deployment_name = models.CharField(max_length=128, blank=True, default="")
    switch_key_ciphertext = models.TextField(blank=True, default="")
    switch_key_id = models.CharField(max_length=64, blank=True, default="")

    objects = MoveQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "status"], name="byod_move_user_status_idx"),
            models.Index(fields=["status", "purge_after"], name="byod_move_purge_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=UNFINISHED_MOVE_STATUSES),
                name="byod_move_one_unfinished_per_user",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MoveStatus.values), name="byod_move_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=MoveDirection.values), name="byod_move_direction_valid"
            ),
            # Only a delete has no destination.
            models.CheckConstraint(
                condition=Q(direction=MoveDirection.DELETE, destination__isnull=True)
                | (~Q(direction=MoveDirection.DELETE) & Q(destination__isnull=False)),
                name="byod_move_destination_unless_delete",
            ),
        ]

    def __str__(self) -> str:
        return f"move {self.pk} {self.direction} of {self.user} ({self.status})"

    @property
    def leased(self) -> list[int]:
        """The connections this move leases: the user's own ones, never the main deployment,
        which every user shares (a lease on it would stop deploys and other users' moves for
        as long as one user's content moves; the main deployment's own deploys are rare, run by
        operators, and a move's batches are idempotent and resumable across them)."""
        found = [self.source] + ([self.destination] if self.destination is not None else [])
        return [c.pk for c in found if not c.is_main]

    @property
    def own_connection(self) -> Connection:
        """The user's own deployment in this move (the one its Events are about)."""
        if self.direction == MoveDirection.IN and self.destination is not None:
            return self.destination
        return self.source

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_MOVE_STATUSES

    def table_state(self, table: str) -> dict[str, Any]:
        state: dict[str, Any] = self.tables.setdefault(table, {})
        return state

    @property
    def counted(self) -> bool:
        """Whether the move's tables are known and each is counted at the source (the copy
        starts before that)."""
        return bool(self.tables) and all("source_count" in s for s in self.tables.values())

    def totals(self) -> tuple[int, int]:
        """Documents copied (or removed, for a delete) and documents counted at the source;
        the total is 0 until the move is `counted`."""
        key = "removed" if self.direction == MoveDirection.DELETE else "copied"
        done = sum(int(s.get(key) or 0) for s in self.tables.values())
        if not self.counted:
            return done, 0
        total = sum(int(s.get("source_count") or 0) for s in self.tables.values())
        return done, total
