"""The link of a ready download: only its owner opens it (streamed, as an attachment); another
user, a wrong token or nobody logged in never get it; an expired one answers 410, and the purge
deletes its file. The settings page's block shows each state."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from byod.errors import NotAllowed
from byod.models import Download, DownloadStatus, Event, EventKind
from byod.services.downloads.purge import purge_expired
from byod.services.downloads.run import MOVING, request_download, run_download
from tests.fixtures.connections import make_connection
from tests.fixtures.people import client_for
from tests.moves.helpers import make_move

pytestmark = pytest.mark.django_db

CONTENT = b"PK\x05\x06" + b"\x00" * 18  # an empty ZIP


def ready(user: User, where: Path, *, hours: float = 24.0) -> Download:
    download = Download.objects.create(user=user)
    where.mkdir(parents=True, exist_ok=True)
    (where / f"{download.token}.zip").write_bytes(CONTENT)
    now = timezone.now()
    Download.objects.filter(pk=download.pk).update(
        status=DownloadStatus.READY,
        file_name=f"{download.token}.zip",
        size=len(CONTENT),
        counts={"messages": 3},
        started_at=now,
        ended_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    download.refresh_from_db()
    return download


def link(download: Download) -> str:
    return reverse("byod:download_file", args=[download.token])


def test_the_owner_gets_the_file_streamed_as_an_attachment(
    owner: User, owner_client: Client, downloads_dir: Path
) -> None:
    download = ready(owner, downloads_dir)
    response = owner_client.get(link(download))
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == CONTENT  # type: ignore[attr-defined]
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    assert response["Cache-Control"] == "private, no-store"


def test_nobody_else_opens_it(
    owner: User,
    other_user: User,
    anonymous_client: Client,
    downloads_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    download = ready(owner, downloads_dir)
    assert client_for(other_user).get(link(download)).status_code == 404
    response = anonymous_client.get(link(download))
    assert response.status_code == 302 and "login" in response["Location"]
    # A token of the owner's that is not theirs, or none at all, neither.
    owner_client = client_for(owner)
    wrong = reverse("byod:download_file", args=[download.token[:-1] + "x"])
    assert owner_client.get(wrong).status_code == 404
    theirs = ready(other_user, downloads_dir)
    assert owner_client.get(link(theirs)).status_code == 404
    # The token is the link's secret: never in a log line.
    assert caplog.records
    assert not any(download.token in r.getMessage() for r in caplog.records)
    assert not any(theirs.token in r.getMessage() for r in caplog.records)


def test_an_expired_link_answers_410_and_the_purge_deletes_its_file(
    owner: User, owner_client: Client, downloads_dir: Path
) -> None:
    make_connection(owner, name="own-expiry")
    download = ready(owner, downloads_dir, hours=-1)
    kept = ready(make_other(), downloads_dir)
    path = downloads_dir / download.file_name
    assert owner_client.get(link(download)).status_code == 410  # expired, not yet purged
    assert purge_expired() == 1
    assert not path.exists()
    assert (downloads_dir / kept.file_name).exists()  # not due yet
    download.refresh_from_db()
    assert download.status == DownloadStatus.EXPIRED and download.file_name == ""
    assert owner_client.get(link(download)).status_code == 410
    assert Event.objects.filter(
        kind=EventKind.DOWNLOAD_EXPIRED, data__download=download.pk
    ).exists()
    assert purge_expired() == 0


def make_other() -> User:
    return User.objects.create_user("someone-else", "someone@example.com", "x")


def test_the_block_shows_request_ready_and_expired(
    owner: User, owner_client: Client, downloads_dir: Path
) -> None:
    page = owner_client.get(reverse("byod:settings")).content.decode()
    assert 'data-download="none"' in page and "Prepare a download" in page
    download = ready(owner, downloads_dir)
    page = owner_client.get(reverse("byod:settings")).content.decode()
    assert 'data-download="ready"' in page and link(download) in page
    Download.objects.filter(pk=download.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    page = owner_client.get(reverse("byod:settings")).content.decode()
    assert 'data-download="expired"' in page and link(download) not in page


def test_asking_twice_while_one_is_prepared_is_refused(
    owner: User, owner_client: Client, downloads_dir: Path
) -> None:
    make_connection(owner, name="own-ask")
    response = owner_client.post(reverse("byod:download"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'data-download="pending"' in response.content.decode()
    assert Download.objects.get(user=owner).status == DownloadStatus.QUEUED
    again = owner_client.post(reverse("byod:download"))
    assert again.status_code == 302
    assert Download.objects.filter(user=owner).count() == 1
    with pytest.raises(Exception, match="being prepared already"):
        request_download(owner, actor=None)
    polled = owner_client.get(reverse("byod:download_status"), headers={"HX-Request": "true"})
    assert polled.status_code == 200 and "Preparing your download" in polled.content.decode()


def test_without_a_deployment_holding_content_nothing_is_queued(owner: User) -> None:
    with pytest.raises(NotAllowed, match="no content location"):
        request_download(owner, actor=owner)
    assert not Download.objects.exists()


def test_a_move_under_way_refuses_the_download(owner: User, downloads_dir: Path) -> None:
    make_move(owner)
    download = request_download(owner, actor=owner)
    run_download(download.pk)
    download.refresh_from_db()
    assert download.status == DownloadStatus.FAILED
    assert download.error_message == MOVING


def test_the_purge_fails_downloads_whose_worker_died_and_deletes_orphan_files(
    owner: User, downloads_dir: Path, settings: Any
) -> None:
    make_connection(owner, name="own-stale")
    stale = request_download(owner, actor=None)
    Download.objects.filter(pk=stale.pk).update(
        status=DownloadStatus.RUNNING, requested_at=timezone.now() - timedelta(hours=7)
    )
    downloads_dir.mkdir(parents=True)
    partial = downloads_dir / f"{stale.token}.zip.part"
    partial.write_bytes(b"half")
    orphan = downloads_dir / "nobody.zip"
    orphan.write_bytes(CONTENT)
    young = downloads_dir / "young.zip"
    young.write_bytes(CONTENT)
    old = time.time() - (24 + 7) * 3600
    os.utime(orphan, (old, old))
    kept = ready(make_other(), downloads_dir)
    os.utime(downloads_dir / kept.file_name, (old, old))  # old, but named by a ready download

    purge_expired()
    stale.refresh_from_db()
    assert stale.status == DownloadStatus.FAILED and "stopped before it was ready" in (
        stale.error_message
    )
    assert not partial.exists() and not orphan.exists()
    assert young.exists() and (downloads_dir / kept.file_name).exists()


def test_the_admin_lists_downloads_without_their_token(
    owner: User, staff: User, downloads_dir: Path
) -> None:
    download = ready(owner, downloads_dir)
    staff_client = client_for(staff)
    listing = staff_client.get(reverse("admin:byod_download_changelist"))
    assert listing.status_code == 200 and "owner" in listing.content.decode()
    page = staff_client.get(reverse("admin:byod_download_change", args=[download.pk]))
    assert page.status_code == 200
    assert download.token not in page.content.decode()
    assert download.token not in listing.content.decode()


def test_polling_stops_once_the_download_is_no_longer_prepared(
    owner: User, owner_client: Client, downloads_dir: Path
) -> None:
    ready(owner, downloads_dir)
    polled = owner_client.get(reverse("byod:download_status"), headers={"HX-Request": "true"})
    assert polled.status_code == 286  # htmx swaps it in and stops polling
    assert 'data-download="ready"' in polled.content.decode()
