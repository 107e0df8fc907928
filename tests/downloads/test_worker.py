"""Building a download on the worker: bounded memory (one page held at a time), content with
files refused (blobs are not exported yet), a deployment too old to export, and the command."""

from __future__ import annotations

import gc
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import User
from byod.models import Download, DownloadStatus
from byod.services.downloads.run import BLOBS_REFUSED, directory, request_download, run_download
from tests.downloads.conftest import Pair, seed
from tests.downloads.helpers import zip_tables

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "x" * 2000  # 2 KB a message: 6,000 of them are 12 MB of content


def test_memory_stays_bounded_while_a_large_download_is_written(
    pair: Pair, owner: User, downloads_dir: Path, settings: Any
) -> None:
    settings.BYOD_MOVE_BATCH_SIZE = 200
    convs = pair.main.insert_many(
        "conversations",
        [
            {
                "userId": str(owner.external_id),
                "title": f"c{c}",
                "isArchived": False,
                "isPinned": False,
                "createdAt": 1.0,
                "updatedAt": 1.0,
                "lastMessageAt": 1.0,
            }
            for c in range(6)
        ],
    )
    for conv in convs:
        pair.main.insert_many(
            "messages",
            [
                {
                    "conversationId": conv,
                    "userId": str(owner.external_id),
                    "role": "user",
                    "content": f"{k}-{TEXT}",
                    "createdAt": float(k),
                    "updatedAt": 1.0,
                }
                for k in range(1000)
            ],
        )
    download = request_download(owner, actor=None)
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        run_download(download.pk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    download.refresh_from_db()
    assert download.status == DownloadStatus.READY, download.error_message
    assert download.counts["messages"] == 6000
    with zipfile.ZipFile(directory() / download.file_name) as zf:
        written = zf.getinfo("messages/documents.jsonl").file_size
    assert written > 12_000_000  # the content is far larger than the bound below
    assert peak - baseline < 4_000_000, f"peak {peak - baseline:,} bytes above baseline"


def test_content_with_files_is_refused_saying_why(
    pair: Pair, owner: User, downloads_dir: Path
) -> None:
    content = seed(pair.main, owner, conversations=1, per_conversation=2)
    message = pair.main.documents("messages")[0]["_id"]
    pair.main.insert(
        "attachments",
        {
            "messageId": message,
            "userId": content.owner,
            "storageId": "kg2abc",
            "filename": "a.png",
            "mimeType": "image/png",
            "size": 3.0,
            "createdAt": 1.0,
        },
    )
    download = request_download(owner, actor=None)
    run_download(download.pk)
    download.refresh_from_db()
    assert download.status == DownloadStatus.FAILED
    assert download.error_message == BLOBS_REFUSED
    assert "files cannot be downloaded yet" in download.error_message
    assert download.file_name == ""
    assert not downloads_dir.exists() or not any(downloads_dir.iterdir())


def test_a_deployment_without_the_export_functions_is_refused(
    pair: Pair, owner: User, downloads_dir: Path
) -> None:
    pair.main_connection.deployed_version = 3
    pair.main_connection.save(update_fields=["deployed_version"])
    download = request_download(owner, actor=None)
    run_download(download.pk)
    download.refresh_from_db()
    assert download.status == DownloadStatus.FAILED
    assert download.error_category == "update_needed"
    assert "Update it first" in download.error_message
    # A new one may be asked for once that one ended.
    assert request_download(owner, actor=None).status == DownloadStatus.QUEUED


def test_the_command_prepares_a_download(
    pair: Pair, owner: User, downloads_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content = seed(pair.main, owner, conversations=2, per_conversation=5)
    call_command("byod_move", "download", "--user", owner.username)
    out = capsys.readouterr().out
    download = Download.objects.get(user=owner)
    assert download.status == DownloadStatus.READY
    assert str(directory() / download.file_name) in out
    assert "1 of 1 download(s) ready." in out
    tables = zip_tables(directory() / download.file_name)
    assert len(tables["messages"]) == content.messages
    assert len(tables["conversations"]) == content.conversations
