"""The emulator's snapshot import, as the real CLI drives it, on snapshots a download would not
write: an id of another table, a table that is not empty (requireEmpty, then --replace), files'
blobs; and its upload endpoints refuse a caller without the admin key."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.downloads.helpers import cli_import
from tests.fixtures.emulator import Emulator, EmulatorDeployment


@pytest.fixture
def fresh(convex_emulator: Emulator) -> Iterator[EmulatorDeployment]:
    made = convex_emulator.create_deployment(backfill_ms=0)
    try:
        yield made
    finally:
        convex_emulator.delete_deployment(made.name)


def snapshot(path: Path, tables: dict[str, list[dict[str, Any]]], **files: bytes) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for table, docs in tables.items():
            zf.writestr(f"{table}/documents.jsonl", "".join(json.dumps(d) + "\n" for d in docs))
        for name, data in files.items():
            zf.writestr(name.replace("__", "/"), data)
    return path


def test_ids_and_creation_times_are_kept_and_a_full_table_needs_replace(
    fresh: EmulatorDeployment, tmp_path: Path
) -> None:
    notes = [{"_id": f"{n:030d}notes", "_creationTime": 1000.0 + n, "n": n} for n in range(1, 4)]
    first = snapshot(tmp_path / "a.zip", {"notes": notes})
    result = cli_import(fresh, first, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Added 3 documents" in result.stdout + result.stderr
    assert sorted((d["_id"], d["_creationTime"], d["n"]) for d in fresh.documents("notes")) == [
        (d["_id"], d["_creationTime"], d["n"]) for d in notes
    ]
    # Ids handed out afterwards do not collide with the imported ones.
    later = fresh.insert("notes", {"n": 9})
    assert later not in {d["_id"] for d in notes}

    again = cli_import(fresh, first, tmp_path)
    assert again.returncode != 0
    assert 'Table "notes" has 4 document(s)' in again.stdout + again.stderr
    replaced = cli_import(fresh, first, tmp_path, "--replace")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert len(fresh.documents("notes")) == 3


def test_an_id_of_another_table_and_files_fail_the_import(
    fresh: EmulatorDeployment, tmp_path: Path
) -> None:
    wrong = snapshot(tmp_path / "wrong.zip", {"notes": [{"_id": f"{1:030d}tasks", "n": 1}]})
    result = cli_import(fresh, wrong, tmp_path)
    assert result.returncode != 0
    assert "is not an id of notes" in result.stdout + result.stderr
    blobs = snapshot(tmp_path / "blobs.zip", {"notes": []}, _storage__documents_jsonl=b"")
    result = cli_import(fresh, blobs, tmp_path)
    assert result.returncode != 0
    assert "_storage" in result.stdout + result.stderr
    assert fresh.documents("notes") == []


def test_uploads_need_the_admin_key(fresh: EmulatorDeployment) -> None:
    with httpx.Client(timeout=30) as http:
        start = http.post(f"{fresh.url}/api/import/start_upload")
        assert start.status_code == 403 and start.json()["code"] == "BadDeployKey"
        headers = {"Authorization": f"Convex {fresh.admin_key}"}
        token = http.post(f"{fresh.url}/api/import/start_upload", headers=headers).json()
        part = http.post(
            f"{fresh.url}/api/import/upload_part",
            params={"uploadToken": token["uploadToken"], "partNumber": 1},
            content=b"PK",
        )
        assert part.status_code == 403
