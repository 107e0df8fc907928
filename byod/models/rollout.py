"""Rollouts: one version deployed across the fleet, canary first, then waves.

A Rollout is the record of the whole: its plan, its in-flight limit, its stop rule, its status.
Each connection it covers is a RolloutMember (its wave, and whether it still waits); the
deploys themselves are ordinary Deployment rows with trigger ``rollout`` linked to the
rollout. Counts by outcome are read from those rows, never kept as counters that racing
workers would have to agree on.

The task workers that run a rollout ("drivers") hold a lease each, one RolloutDriver row per
slot, so a driver whose process died is noticed and replaced.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from byod.models.connection import Connection
from byod.models.statuses import MemberState, RolloutStatus

__all__ = [
    "FINISHED_ROLLOUT_STATUSES",
    "MemberState",
    "Rollout",
    "RolloutDriver",
    "RolloutMember",
    "RolloutQuerySet",
    "RolloutStatus",
    "wave_name",
]


def wave_name(number: int, *, in_a_sentence: bool = False) -> str:
    """A wave as people read it: wave 0 is the canary (and only the canary); then wave 1, 2...
    In a sentence the canary is "the canary"."""
    if number == 0:
        return "the canary" if in_a_sentence else "canary"
    return f"wave {number}"


FINISHED_ROLLOUT_STATUSES = (RolloutStatus.COMPLETED, RolloutStatus.ABORTED)


class RolloutQuerySet(models.QuerySet["Rollout"]):
    def unfinished(self) -> RolloutQuerySet:
        return self.exclude(status__in=FINISHED_ROLLOUT_STATUSES)


class Rollout(models.Model):
    """Deploying `version` to many connections: a canary wave, then waves of `wave_size`."""

    version = models.PositiveIntegerField()
    package_hash = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=RolloutStatus.choices, default=RolloutStatus.PLANNED
    )
    # The plan. Canary: named users, plus a count or a share (percent) of the others.
    canary_count = models.PositiveIntegerField(default=0)
    canary_percent = models.PositiveIntegerField(default=0)
    wave_size = models.PositiveIntegerField(default=100)
    max_in_flight = models.PositiveIntegerField(default=10)
    # Driver tasks that run it at once, each on one task worker (each runs
    # max_in_flight / drivers deploys, in threads; `byod.services.rollouts.driver`).
    drivers = models.PositiveIntegerField(default=2)
    # Stop rule: pause once a wave's failures reach this many, or this share of the wave; the
    # canary has its own count (none: the waves' rule applies to it too).
    stop_failures = models.PositiveIntegerField(null=True, blank=True)
    stop_failure_percent = models.PositiveIntegerField(null=True, blank=True)
    stop_canary_failures = models.PositiveIntegerField(null=True, blank=True)
    # The version reaches users only through the rollout (``ConnectionQuerySet.with_offer``):
    # each member once its wave is reached; everyone once `opened_at` is set, which happens
    # when the wave after `open_after_wave` is reached (0: after the canary), when an operator
    # opens it, or when the rollout completes. An abort withdraws the offer from those not
    # reached.
    open_after_wave = models.PositiveIntegerField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    # Going back to an older version was asked for explicitly (--allow-downgrade).
    downgrade = models.BooleanField(default=False)
    # The digest of the plan that was previewed and started (members, waves, rules, build).
    plan_digest = models.CharField(max_length=64, blank=True, default="")
    waves = models.PositiveIntegerField(default=0, help_text="How many waves the plan has.")
    current_wave = models.PositiveIntegerField(default=0)
    # Failures of a wave a person accepted by resuming after the stop rule paused it: the
    # rule counts only the failures after them.
    accepted_wave = models.PositiveIntegerField(null=True, blank=True)
    accepted_failures = models.PositiveIntegerField(default=0)
    paused_reason = models.TextField(blank=True, default="")
    log = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who started it, in words: a staff user's name, or the OS user of a command (a command
    # run in a shell has no user row).
    started_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = RolloutQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RolloutStatus.values), name="byod_rollout_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(max_in_flight__gte=1), name="byod_rollout_in_flight_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"rollout #{self.pk} to v{self.version}"  # its status changes: shown beside it

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_ROLLOUT_STATUSES


class RolloutMember(models.Model):
    """One connection in a rollout's plan: its wave, its place, whether it was reached."""

    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="members")
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="rollout_members"
    )
    wave = models.PositiveIntegerField()  # 0 is the canary
    position = models.PositiveIntegerField()
    # Its deploys are the rollout's Deployments of this connection (a retry is the same row).
    state = models.CharField(
        max_length=16, choices=MemberState.choices, default=MemberState.PENDING
    )

    class Meta:
        ordering = ["rollout", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["rollout", "connection"], name="byod_rollout_member_once"
            ),
        ]
        indexes = [
            models.Index(fields=["rollout", "state", "wave", "position"], name="byod_member_todo"),
        ]

    def __str__(self) -> str:
        return f"rollout #{self.rollout_id} wave {self.wave}: connection {self.connection_id}"


class RolloutDriver(models.Model):
    """The lease of one driver slot of a rollout: at most one live worker runs each slot."""

    rollout = models.ForeignKey(Rollout, on_delete=models.CASCADE, related_name="driver_slots")
    slot = models.PositiveIntegerField()
    owner = models.CharField(max_length=128, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rollout", "slot"], name="byod_rollout_slot_once"),
        ]

    def __str__(self) -> str:
        return f"rollout #{self.rollout_id} driver {self.slot}"
