"""Downloads of a user's content: asking for one, building its ZIP on a worker, finding its
file for the link, and deleting it once expired (the scheduler).

The worker reads the user's documents where they live now (their location: the main deployment
or their own) with the package's move functions (`Transfer.export_batch`), a page at a time, and
writes each page into the ZIP (`snapshot.SnapshotWriter`): memory holds one page. Content that
names files' blobs is refused: blobs are not exported yet, and a snapshot without them would
not be the user's content.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from byod.clients import Purpose, client_for
from byod.conf import conf
from byod.data.locations import data_version, resolve, usable
from byod.errors import INTERNAL_ERROR, UPDATE_NEEDED, ByodError, NotAllowed
from byod.models import Connection, Download, DownloadStatus, Move
from byod.package.version import MOVE_FUNCTIONS_SINCE
from byod.services import priorities
from byod.services.downloads.snapshot import SnapshotWriter
from byod.services.moves.transfer import Transfer
from byod.transitions import TransitionError
from byod.transitions import downloads as transitions

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from accounts.models import User

log = logging.getLogger(__name__)

BLOBS_REFUSED = (
    "Your content includes files, and files cannot be downloaded yet: a download without "
    "them would not be complete. Nothing was written."
)
NOTHING_HELD = "No deployment holds content of yours yet: there is nothing to download."
MOVING = (
    "Your content is being moved between deployments: ask for a download once the move is done."
)


def directory() -> Path:
    return Path(conf().downloads.directory)


def request_download(user: User, *, actor: User | None) -> Download:
    """Queue a download of `user`'s content. NotAllowed when one is being prepared already, or
    when no deployment holds their content."""
    connection = location_connection(user)
    if connection is None:
        raise NotAllowed(f"user {user.pk}: no content location", user_message=NOTHING_HELD)
    with transaction.atomic():
        try:
            with transaction.atomic():
                download = Download.objects.create(user=user)
        except IntegrityError:
            raise NotAllowed(
                f"user {user.pk}: a download is being prepared already",
                user_message="A download of your content is being prepared already.",
            ) from None
        transitions.download_queued(download, connection, actor=actor)
        download_id = download.pk
        transaction.on_commit(
            lambda: download_task.using(priority=priorities.USER).enqueue(download_id)
        )
    return download


def run_download(download_id: int) -> Download | None:
    """Build a queued download's ZIP; safe to call twice (the second finds it taken)."""
    download = Download.objects.select_related("user").filter(pk=download_id).first()
    if download is None or download.status != DownloadStatus.QUEUED:
        return download
    connection = location_connection(download.user)
    try:
        transitions.download_running(download, connection)
    except TransitionError:
        return download
    try:
        _build(download, connection)
    except ByodError as error:
        log.info("download %s failed: %s", download.pk, error.detail)
        fail(download, connection, error.category, error.user_message)
    except Exception:
        log.exception("download %s: unexpected error", download.pk)
        fail(download, connection, INTERNAL_ERROR, "Unexpected error.")
        raise
    return download


def _build(download: Download, about: Connection | None) -> None:
    """Write the ZIP and mark the download ready (its Event about `about`)."""
    location = resolve(download.user)  # where the content is now, or why none
    usable(location)  # disconnected, far too old, unhealthy: said as the data plane says it
    connection = location.connection
    if Move.objects.unfinished().filter(user_id=download.user_id).exists():
        raise NotAllowed(f"download {download.pk}: a move is under way", user_message=MOVING)
    found = data_version(connection)
    if found is None or found < MOVE_FUNCTIONS_SINCE:
        raise ByodError(
            UPDATE_NEEDED,
            f"connection {connection.pk}: version {found}, downloads need {MOVE_FUNCTIONS_SINCE}",
            user_message="The deployment holding your content runs a version of our package "
            "that cannot export it yet. Update it first, then ask again.",
        )
    client = client_for(connection, purpose=Purpose.DATA_WORKER)
    try:
        transfer = Transfer(
            source=client,
            destination=None,
            owner=str(download.user.external_id),
            move_id=f"download-{download.pk}",
            batch=conf().moves.batch_size,
        )
        if transfer.blob_documents():
            raise NotAllowed(
                f"download {download.pk}: content names blobs", user_message=BLOBS_REFUSED
            )
        name = f"{download.token}.zip"
        writer = SnapshotWriter(directory() / name)
        try:
            for table in transfer.tables():
                writer.table(table, _pages(download, transfer, table, writer.counts))
            size = writer.close()
        except BaseException:
            writer.abandon()
            raise
    finally:
        client.close()
    transitions.download_ready(
        download,
        about,
        file_name=name,
        size=size,
        counts=dict(writer.counts),
        keep_hours=conf().downloads.keep_hours,
    )


def _pages(
    download: Download, transfer: Transfer, table: str, done: dict[str, int]
) -> Iterator[list[dict[str, Any]]]:
    """The table's pages; after each, the documents so far are saved (the page's progress)."""
    cursor: str | None = None
    written = 0
    while True:
        docs, cursor = transfer.export_batch(table, cursor)
        yield docs
        written += len(docs)
        if docs:
            Download.objects.filter(pk=download.pk).update(counts={**done, table: written})
        if cursor is None:
            return


def fail(download: Download, connection: Connection | None, category: str, message: str) -> None:
    try:
        transitions.download_failed(download, connection, category=category, message=message)
    except TransitionError:
        log.info("download %s: failure not recorded, changed meanwhile", download.pk)


def location_connection(user: User) -> Connection | None:
    """The connection a download's Events are about: where the user's content is, else their
    own connection (a failure is then recorded on it); None: neither."""
    try:
        return resolve(user).connection
    except ByodError:
        return Connection.objects.filter(user_id=user.pk, is_main=False).first()


def ready_file(download: Download) -> Path | None:
    """The file of a ready, unexpired download (None: expired, not ready, or gone)."""
    if download.status != DownloadStatus.READY or not download.file_name:
        return None
    if download.expires_at is None or download.expires_at <= timezone.now():
        return None
    path = directory() / download.file_name
    return path if path.is_file() else None


@task()
def download_task(download_id: int) -> None:
    """Build a queued download's ZIP."""
    run_download(download_id)
