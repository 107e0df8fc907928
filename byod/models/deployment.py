"""Deploy attempts: one row per deploy of a version to a connection, with its retries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from byod.models.connection import Connection


class DeploymentStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    # Replaced by a newer deploy of the same connection (new credentials, a person's action).
    SUPERSEDED = "superseded", "Superseded"


ACTIVE_DEPLOYMENT_STATUSES = (DeploymentStatus.QUEUED, DeploymentStatus.RUNNING)
TERMINAL_DEPLOYMENT_STATUSES = (
    DeploymentStatus.SUCCEEDED,
    DeploymentStatus.FAILED,
    DeploymentStatus.CANCELLED,
    DeploymentStatus.SUPERSEDED,
)


class DeployPhase(models.TextChoices):
    """What a running deploy is doing, as its worker records it (`Deployment.phase`; what it is
    doing it to, a table or a count, goes in `phase_detail`). The settings page words each
    member (`byod.views.words.PHASES`); the log writes the label."""

    QUEUED = "queued", "queued"
    STARTING = "starting", "starting"
    PREPARING_MIGRATIONS = "preparing migrations", "preparing migrations"
    PUSHING_EXPANDED = "pushing expanded schema", "pushing the expanded schema"
    COUNTING = "counting", "counting"
    MIGRATING = "migrating", "migrating"
    MIGRATING_AGAIN = "migrating again", "migrating again (documents of an older shape arrived)"
    UPLOADING = "uploading package", "uploading package"
    UPLOADING_AGAIN = "uploading package again", "uploading package again"
    WAITING_FOR_SCHEMA = "waiting for schema", "waiting for schema"
    BACKFILLING_INDEXES = "backfilling indexes", "backfilling indexes"
    VALIDATING_DOCUMENTS = "validating documents", "validating documents"
    FINISHING_SCHEMA = "finishing schema", "finishing schema"
    FINISHING_PUSH = "finishing push", "finishing push"
    RECORDING_VERSION = "recording version", "recording version"
    VERIFIED = "version recorded and verified", "version recorded and verified"
    WAITING_TO_RETRY = "waiting to retry", "waiting to retry"
    EVALUATING = "evaluating push (dry run)", "evaluating push (dry run)"
    DRY_RUN_COUNTING = "dry run counting", "dry run: counting"
    DRY_RUN_EVALUATED = "dry run evaluated", "dry run evaluated"
    DONE = "done", "done"

    def line(self, detail: str = "") -> str:
        """How the phase reads in the deploy's log."""
        return f"{self.label} {detail}" if detail else str(self.label)


class DeploymentTrigger(models.TextChoices):
    USER = "user", "User"
    ADMIN = "admin", "Admin"
    COMMAND = "command", "Command"
    ROLLOUT = "rollout", "Rollout"
    HEALTH = "health", "Health check (drift repair)"


@dataclass(frozen=True)
class Holder:
    """Who runs one attempt of a deploy: the owner of its connection's lease and the attempt's
    number, a fencing token. Every outcome the worker records (progress, pushed, success,
    failure, retry, migration runs) is conditional on both still being so, checked in the
    UPDATE that writes it (`byod.transitions.fence`); a worker that lost its attempt (the
    reaper recorded it, another attempt runs) writes nothing."""

    owner: str
    attempt: int

    def __str__(self) -> str:
        return f"attempt {self.attempt} of {self.owner or '(no lease)'}"


class DeploymentQuerySet(models.QuerySet["Deployment"]):
    def active(self) -> DeploymentQuerySet:
        """Queued (maybe waiting for a retry) or running: at most one per connection."""
        return self.filter(status__in=ACTIVE_DEPLOYMENT_STATUSES)

    def finished(self) -> DeploymentQuerySet:
        return self.filter(status__in=TERMINAL_DEPLOYMENT_STATUSES)

    def real(self) -> DeploymentQuerySet:
        """Deploys that change the deployment (not dry runs)."""
        return self.filter(dry_run=False)


class Deployment(models.Model):
    """One attempt (with its retries) to deploy a package version to a connection."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="deployments")
    from_version = models.PositiveIntegerField(null=True, blank=True)
    to_version = models.PositiveIntegerField()
    package_hash = models.CharField(max_length=64, blank=True, default="")
    trigger = models.CharField(max_length=16, choices=DeploymentTrigger.choices)
    status = models.CharField(
        max_length=16, choices=DeploymentStatus.choices, default=DeploymentStatus.QUEUED
    )
    dry_run = models.BooleanField(default=False)
    phase = models.CharField(max_length=64, blank=True, default="", choices=DeployPhase.choices)
    phase_detail = models.CharField(max_length=64, blank=True, default="")
    indexes_ready = models.PositiveIntegerField(null=True, blank=True)
    indexes_total = models.PositiveIntegerField(null=True, blank=True)
    attempt = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # When finish_push succeeded: from then on the deployment runs this version's schema.
    pushed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    diff_summary = models.JSONField(default=dict, blank=True)
    error_category = models.CharField(max_length=32, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    error_retryable = models.BooleanField(null=True, blank=True)
    log = models.TextField(blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The rollout this deploy serves (trigger "rollout"), and its wave there (0: the canary).
    rollout = models.ForeignKey(
        "byod.Rollout",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deployments",
    )
    wave = models.PositiveIntegerField(null=True, blank=True)

    objects = DeploymentQuerySet.as_manager()

    # Not a column: set on the instance a worker runs an attempt with (and the reaper records
    # one with). Transitions given that instance write only while it still holds the attempt.
    holder: Holder | None = None

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["connection", "-created_at"], name="byod_dep_conn_created_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="byod_dep_status_next_idx"),
            models.Index(fields=["rollout", "status"], name="byod_dep_rollout_status_idx"),
        ]
        constraints = [
            # At most one deploy in flight per connection, enforced by the database.
            models.UniqueConstraint(
                fields=["connection"],
                condition=Q(status__in=["queued", "running"]),
                name="byod_one_active_deployment_per_connection",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeploymentStatus.values), name="byod_dep_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(trigger__in=DeploymentTrigger.values), name="byod_dep_trigger_valid"
            ),
        ]

    def __str__(self) -> str:
        start = f"v{self.from_version}" if self.from_version is not None else "nothing"
        return f"deploy #{self.pk} {start} → v{self.to_version} ({self.status})"

    @property
    def phase_line(self) -> str:
        """The phase and what it is about, as the log writes it."""
        if self.phase not in DeployPhase.values:
            return self.phase
        return DeployPhase(self.phase).line(self.phase_detail)

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_DEPLOYMENT_STATUSES

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_DEPLOYMENT_STATUSES
