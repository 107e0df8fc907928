"""Every status change of a download of a user's content, each writing one Event (about the
connection of the deployment its content is read from, the download named in `data`).

queued -> running -> ready -> expired; queued | running -> failed (its partial file deleted by the
worker, or by the purge when the worker died). Changes are conditional UPDATEs: two workers
cannot both start one download.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from byod.models import Connection, Download, DownloadStatus, EventKind
from byod.transitions.base import TransitionError, record

if TYPE_CHECKING:
    from accounts.models import User

DS = DownloadStatus
ERROR_LIMIT = 2000


def _change(download: Download, *, allowed_from: tuple[str, ...], to: str, **fields: Any) -> None:
    rows = Download.objects.filter(pk=download.pk, status__in=allowed_from)
    values = {"status": to, **fields}
    if rows.update(**values) != 1:
        download.refresh_from_db(fields=["status"])
        raise TransitionError(download, to, allowed_from)
    for name, value in values.items():
        setattr(download, name, value)


def _event(
    download: Download, connection: Connection | None, kind: str, message: str, **data: Any
) -> None:
    if connection is not None:
        record(connection, kind, message, actor=None, data={"download": download.pk, **data})


def download_queued(
    download: Download, connection: Connection | None, *, actor: User | None
) -> None:
    if connection is not None:
        record(
            connection,
            EventKind.DOWNLOAD_QUEUED,
            "A download of the user's content was requested.",
            actor=actor,
            data={"download": download.pk},
        )


def download_running(download: Download, connection: Connection | None) -> None:
    with transaction.atomic():
        _change(download, allowed_from=(DS.QUEUED,), to=DS.RUNNING, started_at=timezone.now())
        _event(download, connection, EventKind.DOWNLOAD_RUNNING, "Preparing the download.")


def download_ready(
    download: Download,
    connection: Connection | None,
    *,
    file_name: str,
    size: int,
    counts: dict[str, int],
    keep_hours: float,
) -> None:
    now = timezone.now()
    with transaction.atomic():
        _change(
            download,
            allowed_from=(DS.RUNNING,),
            to=DS.READY,
            file_name=file_name,
            size=size,
            counts=counts,
            ended_at=now,
            expires_at=now + timedelta(hours=keep_hours),
        )
        total = sum(counts.values())
        _event(
            download,
            connection,
            EventKind.DOWNLOAD_READY,
            f"Download ready: {total} document(s), {size} bytes.",
            counts=counts,
        )


def download_failed(
    download: Download, connection: Connection | None, *, category: str, message: str
) -> None:
    with transaction.atomic():
        _change(
            download,
            allowed_from=(DS.QUEUED, DS.RUNNING),
            to=DS.FAILED,
            ended_at=timezone.now(),
            error_category=category[:32],
            error_message=message[:ERROR_LIMIT],
        )
        _event(download, connection, EventKind.DOWNLOAD_FAILED, f"Download failed: {category}.")


def download_expired(download: Download, connection: Connection | None) -> None:
    """The file is gone (deleted by the caller first): the link answers 410 from now on."""
    with transaction.atomic():
        _change(download, allowed_from=(DS.READY,), to=DS.EXPIRED, file_name="")
        _event(download, connection, EventKind.DOWNLOAD_EXPIRED, "Download expired and deleted.")
