"""Downloads of a user's content: a ZIP in the snapshot format `npx convex import` takes.

A download goes queued -> running -> ready -> expired, or -> failed; `byod.transitions.downloads`
makes every change and writes its Event. At most one of a user's downloads is queued or running
at a time (a constraint). A ready one is served, to its owner only, behind its unguessable
`token`, until `expires_at`; then the scheduler deletes its file and marks it expired.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


class DownloadStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Preparing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


UNFINISHED_DOWNLOAD_STATUSES = (DownloadStatus.QUEUED, DownloadStatus.RUNNING)


def new_download_token() -> str:
    return secrets.token_urlsafe(32)


class DownloadQuerySet(models.QuerySet["Download"]):
    def unfinished(self) -> DownloadQuerySet:
        return self.filter(status__in=UNFINISHED_DOWNLOAD_STATUSES)

    def due_for_expiry(self, now: Any) -> DownloadQuerySet:
        """Ready downloads kept long enough."""
        return self.filter(status=DownloadStatus.READY, expires_at__lte=now)


class Download(models.Model):
    """One download of one user's content."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="content_downloads"
    )
    # The link's secret part: the owner check comes first, this makes the link unguessable.
    token = models.CharField(max_length=64, default=new_download_token, unique=True, editable=False)
    status = models.CharField(
        max_length=16, choices=DownloadStatus.choices, default=DownloadStatus.QUEUED
    )
    # Under BYOD_DOWNLOADS_DIR; empty until the ZIP is written, and again once deleted.
    file_name = models.CharField(max_length=128, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    # {table: documents written}; filled as the worker goes.
    counts = models.JSONField(default=dict, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error_category = models.CharField(max_length=32, blank=True, default="")
    error_message = models.TextField(blank=True, default="")

    objects = DownloadQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["user", "status"], name="byod_download_user_status_idx"),
            models.Index(fields=["status", "expires_at"], name="byod_download_expiry_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=UNFINISHED_DOWNLOAD_STATUSES),
                name="byod_download_one_unfinished_per_user",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DownloadStatus.values), name="byod_download_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"download {self.pk} of {self.user} ({self.status})"

    @property
    def documents(self) -> int:
        return sum(int(n) for n in self.counts.values())
