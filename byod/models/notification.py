"""Mails we owe people: one row per thing to tell, unique per connection, kind and version or
state, so that any number of workers collecting the same change create it once and send it once.

``Outbox`` is the one row that says how far the collector has read the audit trail.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from byod.models.connection import Connection


class NotificationKind(models.TextChoices):
    DEPLOY_FAILED = "deploy_failed", "Deploy failed"
    UNHEALTHY = "unhealthy", "Became unhealthy"
    RECOVERED = "recovered", "Recovered"
    DRIFT = "drift", "Drift found"
    VERSION_AVAILABLE = "version_available", "New version available"
    VERSION_APPLIED = "version_applied", "Version applied"
    DIGEST = "digest", "Operators' digest"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped (opted out or no address)"
    # What it says stopped being true before it was sent (e.g. the key was fixed meanwhile).
    OBSOLETE = "obsolete", "Not sent (no longer true)"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """One mail to send (or deliberately not sent), with what it says."""

    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    connection = models.ForeignKey(
        Connection,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        help_text="Empty for the operators' digest.",
    )
    # What makes it one change: a version ("v2"), a deploy ("deploy:12"), an event ("event:40")
    # or, for a digest, the range of the audit trail it covers.
    key = models.CharField(max_length=64)
    dedup_key = models.CharField(max_length=160, unique=True, editable=False)
    recipients = models.JSONField(default=list, blank=True)
    context = models.JSONField(default=dict, blank=True)  # what the mail says; never a secret
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    claim = models.CharField(max_length=32, blank=True, default="", editable=False)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="byod_notif_status_idx"),
            models.Index(fields=["connection", "kind", "key"], name="byod_notif_conn_kind_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=NotificationStatus.values), name="byod_notif_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.status})"

    @staticmethod
    def dedup(kind: str, connection_id: int | None, key: str) -> str:
        return f"{kind}:{connection_id or '-'}:{key}"


class Outbox(models.Model):
    """The collector's place in the audit trail (one row, id 1)."""

    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"outbox at event {self.last_event_id}"
