"""Rows of the control plane: a user's connection, each deploy attempt, and the audit trail.

Status fields are changed only through ``byod.transitions`` (which also writes the Event);
other code reads them and may update progress fields.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from byod import package


class ConnectionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DEPLOYING = "deploying", "Deploying"
    CONNECTED = "connected", "Connected"
    ERROR = "error", "Error"
    DISCONNECTED = "disconnected", "Disconnected"


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


class DeploymentTrigger(models.TextChoices):
    USER = "user", "User"
    ADMIN = "admin", "Admin"
    COMMAND = "command", "Command"
    ROLLOUT = "rollout", "Rollout"


def outdated_q(version: int | None = None) -> Q:
    """Connections that should run a newer package version than they do: the one definition
    of "outdated" (``Connection.is_outdated`` applies the same rule to one row)."""
    target = package.current_version() if version is None else version
    return ~Q(status=ConnectionStatus.DISCONNECTED) & (
        Q(deployed_version__isnull=True) | Q(deployed_version__lt=target)
    )


class ConnectionQuerySet(models.QuerySet["Connection"]):
    def usable(self) -> ConnectionQuerySet:
        """Connections we can deploy to: not disconnected, with a stored key."""
        return self.exclude(status=ConnectionStatus.DISCONNECTED).exclude(key_ciphertext="")

    def outdated(self, version: int | None = None) -> ConnectionQuerySet:
        """Behind `version` (default: the package's current version), or with nothing deployed."""
        return self.filter(outdated_q(version))

    def failing(self) -> ConnectionQuerySet:
        """Connections whose last deploy (or health check) failed."""
        return self.filter(status=ConnectionStatus.ERROR)

    def active(self) -> ConnectionQuerySet:
        """Every connection that is not disconnected."""
        return self.exclude(status=ConnectionStatus.DISCONNECTED)


class Connection(models.Model):
    """One user's link to their own Convex deployment."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="byod_connection"
    )
    url = models.CharField(max_length=255, help_text="Normalized deployment URL.")
    deployment_name = models.CharField(
        max_length=128, blank=True, help_text="Cloud deployment name or self-hosted instance name."
    )
    # base64(nonce + AES-GCM ciphertext); empty when there is no key (e.g. disconnected).
    key_ciphertext = models.TextField(blank=True, default="", editable=False)
    key_id = models.CharField(max_length=32, blank=True, default="", editable=False)
    key_changed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.PENDING
    )
    # What the deployment was verified to run (our meta:get read it back) ...
    deployed_version = models.PositiveIntegerField(null=True, blank=True)
    deployed_package_hash = models.CharField(max_length=64, blank=True, default="")
    # ... and what was last pushed to it, verified or not (a push can finish and the version
    # still fail to be recorded, e.g. on a deployment paused meanwhile).
    pushed_version = models.PositiveIntegerField(null=True, blank=True)
    pushed_package_hash = models.CharField(max_length=64, blank=True, default="")
    last_error_category = models.CharField(max_length=32, blank=True, default="")
    last_error_message = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_deploy_at = models.DateTimeField(null=True, blank=True)
    last_check_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["status"], name="byod_conn_status_idx"),
            models.Index(fields=["deployed_version"], name="byod_conn_version_idx"),
            models.Index(fields=["key_id"], name="byod_conn_key_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ConnectionStatus.values), name="byod_conn_status_valid"
            ),
            # A key and its key id come and go together.
            models.CheckConstraint(
                condition=(Q(key_ciphertext="") & Q(key_id=""))
                | (~Q(key_ciphertext="") & ~Q(key_id="")),
                name="byod_conn_key_and_key_id_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} -> {self.deployment_name or self.url} ({self.status})"

    @property
    def is_outdated(self) -> bool:
        """``outdated_q()`` for this row."""
        if self.status == ConnectionStatus.DISCONNECTED:
            return False
        return self.deployed_version is None or self.deployed_version < package.current_version()

    @property
    def has_key(self) -> bool:
        return bool(self.key_ciphertext)

    @property
    def is_usable(self) -> bool:
        """``ConnectionQuerySet.usable()`` for this row: we can deploy to it."""
        return self.status != ConnectionStatus.DISCONNECTED and self.has_key


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
    phase = models.CharField(max_length=64, blank=True, default="")
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

    objects = DeploymentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["connection", "-created_at"], name="byod_dep_conn_created_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="byod_dep_status_next_idx"),
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
        return f"deploy #{self.pk} v{self.from_version}->v{self.to_version} ({self.status})"

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


class Event(models.Model):
    """Audit trail: who did what, when. Written only by ``byod.transitions``."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="events")
    deployment = models.ForeignKey(
        Deployment, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who acted; empty for the system (worker, health check).",
    )
    kind = models.CharField(max_length=64)
    message = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["connection", "-created_at"], name="byod_event_conn_created_idx"),
            models.Index(fields=["kind"], name="byod_event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind}"
