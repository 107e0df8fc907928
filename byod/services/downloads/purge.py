"""Downloads kept long enough, deleted (the scheduler, `byod.downloads.purge`).

A ready download's file is deleted once `expires_at` passed (its link answers 410 from then on)
and the download is marked expired. A download whose worker died (running, or queued without a
task, for hours) is failed so its user can ask again, its partial file deleted; so is a file in
the directory that no download names (its user deleted), once it is older than a download
lives.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from byod.conf import conf
from byod.errors import INTERNAL_ERROR
from byod.models import Download, DownloadStatus
from byod.services.downloads.run import directory, fail, location_connection
from byod.transitions import TransitionError
from byod.transitions import downloads as transitions

log = logging.getLogger(__name__)

# A download still queued or running after this long lost its worker.
STALE_AFTER = timedelta(hours=6)
STOPPED = "The download stopped before it was ready. Ask for a new one."


def purge_expired() -> int:
    """Delete the files of expired downloads; how many."""
    now = timezone.now()
    deleted = 0
    for download in Download.objects.due_for_expiry(now).select_related("user"):
        (directory() / download.file_name).unlink(missing_ok=True)
        deleted += 1
        try:
            transitions.download_expired(download, location_connection(download.user))
        except TransitionError:
            log.info("download %s: expiry not recorded, changed meanwhile", download.pk)
    _fail_stale()
    return deleted + _delete_orphans()


def _fail_stale() -> None:
    before = timezone.now() - STALE_AFTER
    stale = Download.objects.filter(
        status__in=(DownloadStatus.QUEUED, DownloadStatus.RUNNING), requested_at__lt=before
    )
    for download in stale.select_related("user"):
        (directory() / f"{download.token}.zip.part").unlink(missing_ok=True)
        fail(download, location_connection(download.user), INTERNAL_ERROR, STOPPED)


def _delete_orphans() -> int:
    """Files no download names any more, older than a download lives (and than a worker may
    still be writing one)."""
    where = directory()
    if not where.is_dir():
        return 0
    keep = conf().downloads.keep_hours * 3600 + STALE_AFTER.total_seconds()
    oldest = time.time() - keep
    named = set(Download.objects.exclude(file_name="").values_list("file_name", flat=True))
    deleted = 0
    for path in where.iterdir():
        if not path.name.endswith((".zip", ".zip.part")) or path.name in named:
            continue
        if path.stat().st_mtime < oldest:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


@task()
def purge_downloads_task() -> int:
    """Delete expired downloads' files."""
    return purge_expired()
