"""The audit trail, and the one list of its event kinds."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from byod.models.connection import Connection
from byod.models.deployment import Deployment


class EventKind(models.TextChoices):
    """Every kind of audit Event: written by `byod.transitions` (and key rotation), read by the
    outbox, the settings page and the admin. Code matches on these members, never on text."""

    CONNECTION_CREATED = "connection.created", "Connected"
    CONNECTION_CREDENTIALS_CHANGED = "connection.credentials_changed", "Credentials changed"
    # Written by releases before 2026-12 only (old rows still carry them).
    CONNECTION_CONNECTED = "connection.connected", "Up to date"
    CONNECTION_ERROR = "connection.error", "Needs attention"
    CONNECTION_DISCONNECTED = "connection.disconnected", "Disconnected"
    KEY_ROTATED = "key.rotated", "Key re-encrypted"
    DEPLOY_QUEUED = "deploy.queued", "Deploy queued"
    DEPLOY_RUNNING = "deploy.running", "Deploy running"
    DEPLOY_RETRY_SCHEDULED = "deploy.retry_scheduled", "Deploy retry scheduled"
    DEPLOY_SUCCEEDED = "deploy.succeeded", "Deploy succeeded"
    DEPLOY_FAILED = "deploy.failed", "Deploy failed"
    DEPLOY_CANCELLED = "deploy.cancelled", "Deploy cancelled"
    DEPLOY_SUPERSEDED = "deploy.superseded", "Deploy superseded"
    MIGRATION_EXPANDED = "migration.expanded", "Schema expanded"
    MIGRATION_CONTRACTED = "migration.contracted", "Schema contracted"
    MIGRATION_STARTED = "migration.started", "Data migration started"
    MIGRATION_SUCCEEDED = "migration.succeeded", "Data migration succeeded"
    MIGRATION_FAILED = "migration.failed", "Data migration failed"
    MIGRATION_INTERRUPTED = "migration.interrupted", "Data migration interrupted"
    HEALTH_HEALTHY = "health.healthy", "Healthy"
    HEALTH_DEGRADED = "health.degraded", "Degraded"
    HEALTH_UNHEALTHY = "health.unhealthy", "Unhealthy"
    HEALTH_RECOVERED = "health.recovered", "Recovered"
    HEALTH_DRIFT = "health.drift", "Drift"
    HEALTH_REASON_CHANGED = "health.reason_changed", "Health reason changed"
    CONTENT_LOCATION_CHANGED = "content.location_changed", "Content location changed"
    MOVE_QUEUED = "move.queued", "Move queued"
    MOVE_RUNNING = "move.running", "Move running"
    MOVE_FROZEN = "move.frozen", "Writes paused for a move"
    MOVE_WAITING = "move.waiting", "Move waiting"
    MOVE_INTERRUPTED = "move.interrupted", "Move interrupted (worker lost)"
    MOVE_VERIFYING = "move.verifying", "Move verifying"
    MOVE_DONE = "move.done", "Move done"
    MOVE_FAILED = "move.failed", "Move failed"
    MOVE_CANCELLED = "move.cancelled", "Move cancelled"
    MOVE_PURGED = "move.purged", "Old copy purged"
    DOWNLOAD_QUEUED = "download.queued", "Download requested"
    DOWNLOAD_RUNNING = "download.running", "Download being prepared"
    DOWNLOAD_READY = "download.ready", "Download ready"
    DOWNLOAD_FAILED = "download.failed", "Download failed"
    DOWNLOAD_EXPIRED = "download.expired", "Download expired"


# Kinds by what they are about (sets of members, so no code matches kinds by prefix).
DEPLOY_EVENTS = frozenset(
    {
        EventKind.DEPLOY_QUEUED,
        EventKind.DEPLOY_RUNNING,
        EventKind.DEPLOY_RETRY_SCHEDULED,
        EventKind.DEPLOY_SUCCEEDED,
        EventKind.DEPLOY_FAILED,
        EventKind.DEPLOY_CANCELLED,
        EventKind.DEPLOY_SUPERSEDED,
    }
)
MOVE_EVENTS = frozenset(
    {
        EventKind.MOVE_QUEUED,
        EventKind.MOVE_RUNNING,
        EventKind.MOVE_FROZEN,
        EventKind.MOVE_WAITING,
        EventKind.MOVE_INTERRUPTED,
        EventKind.MOVE_VERIFYING,
        EventKind.MOVE_DONE,
        EventKind.MOVE_FAILED,
        EventKind.MOVE_CANCELLED,
        EventKind.MOVE_PURGED,
    }
)
HEALTH_EVENTS = frozenset(
    {
        EventKind.HEALTH_HEALTHY,
        EventKind.HEALTH_DEGRADED,
        EventKind.HEALTH_UNHEALTHY,
        EventKind.HEALTH_RECOVERED,
        EventKind.HEALTH_DRIFT,
        EventKind.HEALTH_REASON_CHANGED,
    }
)


class Event(models.Model):
    """Audit trail: who did what, when. Written only by ``byod.transitions``."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="events")
    deployment = models.ForeignKey(
        Deployment, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    move = models.ForeignKey(
        "byod.Move", on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who acted; empty for the system (worker, health check).",
    )
    kind = models.CharField(max_length=64, choices=EventKind.choices)
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
