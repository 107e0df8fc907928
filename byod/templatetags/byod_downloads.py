"""The "Download my data" block's state, read by its own partial (templates/byod/_download.html)
so the settings page's context stays as it is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.utils import timezone

from byod.models import Download, DownloadStatus

register = template.Library()


@dataclass(frozen=True)
class DownloadBlock:
    latest: Download | None

    @property
    def pending(self) -> bool:
        return self.latest is not None and self.latest.status in (
            DownloadStatus.QUEUED,
            DownloadStatus.RUNNING,
        )

    @property
    def ready(self) -> bool:
        d = self.latest
        return (
            d is not None
            and d.status == DownloadStatus.READY
            and d.expires_at is not None
            and d.expires_at > timezone.now()
        )

    @property
    def expired(self) -> bool:
        d = self.latest
        return d is not None and (
            d.status == DownloadStatus.EXPIRED
            or (d.status == DownloadStatus.READY and not self.ready)
        )

    @property
    def failed(self) -> bool:
        return self.latest is not None and self.latest.status == DownloadStatus.FAILED


@register.simple_tag
def download_block(user: Any) -> DownloadBlock:
    """The user's latest download, as the block shows it."""
    if not getattr(user, "is_authenticated", False):
        return DownloadBlock(None)
    return DownloadBlock(Download.objects.filter(user_id=user.pk).first())
