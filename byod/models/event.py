"""The audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from byod.models.connection import Connection
from byod.models.deployment import Deployment


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
