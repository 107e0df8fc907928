"""A download of a user with a few thousand documents across tables that reference each other,
imported with the real CLI (`npx convex import`) into a fresh emulated deployment: the same
documents, ids and references included; nobody else's."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts.models import User
from byod.models import Download, DownloadStatus, Event, EventKind
from byod.services.downloads.run import directory, request_download, run_download
from tests.downloads.conftest import Pair, seed
from tests.downloads.helpers import cli_import, digest, zip_tables
from tests.fixtures.emulator import Emulator
from tests.moves.conftest import deployment_with_package, owned

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_download_imports_into_a_fresh_deployment_as_it_was(
    pair: Pair,
    owner: User,
    other_user: User,
    convex_emulator: Emulator,
    downloads_dir: Path,
    tmp_path: Path,
) -> None:
    mine = seed(pair.main, owner, conversations=25, per_conversation=100)
    theirs = seed(pair.main, other_user, conversations=3, per_conversation=10)
    assert mine.total == 3025

    download = request_download(owner, actor=owner)
    run_download(download.pk)
    download.refresh_from_db()
    assert download.status == DownloadStatus.READY, download.error_message
    assert download.documents == mine.total
    path = directory() / download.file_name
    assert path.is_file() and path.stat().st_size == download.size
    assert path.parent == downloads_dir
    kinds = set(Event.objects.filter(data__download=download.pk).values_list("kind", flat=True))
    assert {
        EventKind.DOWNLOAD_QUEUED,
        EventKind.DOWNLOAD_RUNNING,
        EventKind.DOWNLOAD_READY,
    } <= kinds

    source = owned(pair.main, mine)
    in_zip = zip_tables(path)
    for table, docs in source.items():
        assert len(in_zip[table]) == len(docs)
        assert digest(in_zip[table]) == digest(docs)
    # Every other table of ours is there, empty: the snapshot names them all.
    assert sum(len(d) for d in in_zip.values()) == mine.total
    assert not any(d.get("userId") == theirs.owner for docs in in_zip.values() for d in docs)

    fresh = deployment_with_package(convex_emulator)
    try:
        result = cli_import(fresh, path, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"Added {mine.total} documents" in result.stdout + result.stderr
        for table, docs in source.items():
            there = fresh.documents(table)
            assert len(there) == len(docs), table
            assert digest(there) == digest(docs), table
        assert not any(d.get("userId") == theirs.owner for t in source for d in fresh.documents(t))
        # A second import into the same, now full, deployment is refused (requireEmpty).
        again = cli_import(fresh, path, tmp_path)
        assert again.returncode != 0
        assert "import into empty tables only" in again.stdout + again.stderr
    finally:
        convex_emulator.delete_deployment(fresh.name)
    assert Download.objects.filter(user=owner).count() == 1
