"""The real Convex CLI (`npx convex deploy`) deploys to the emulator and exits 0."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.emulator import schemas
from tests.emulator.convex_cli import EMULATOR_DIR, FIXTURE_PROJECT, copy_project, run_cli

BYOD_PROJECT = Path(__file__).resolve().parents[2] / "byod" / "convex_project"

pytestmark = pytest.mark.slow


def project_export(project: Path) -> dict:
    """The project's schema export, computed without the emulator (esbuild + defineSchema)."""
    result = subprocess.run(
        ["node", str(EMULATOR_DIR / "export_schema.mjs"), str(project)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    export: dict = json.loads(result.stdout)
    return export


def deploy(project: Path, dep, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(project, "deploy", "--url", dep.url, "--admin-key", dep.admin_key, "-y", *extra)


def test_the_cli_deploys_the_fixture_project(tmp_path, client, convex_deployment):
    project = copy_project(FIXTURE_PROJECT, tmp_path / "project")
    result = deploy(project, convex_deployment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Deployed Convex functions" in result.stdout + result.stderr
    assert convex_deployment.active_schema() == project_export(project)
    added = client.post(
        convex_deployment.url + "/api/mutation",
        json={"path": "notes:add", "args": {"title": "via cli"}, "format": "json"},
    ).json()
    assert added["status"] == "success"
    assert [p["status"] for p in convex_deployment.pushes()] == ["finished"]


def test_the_cli_redeploys_a_changed_schema_and_keeps_data(tmp_path, convex_deployment):
    first = copy_project(FIXTURE_PROJECT, tmp_path / "first")
    assert deploy(first, convex_deployment).returncode == 0
    note_id = convex_deployment.insert("notes", {"title": "stays", "pinned": False})
    second = copy_project(FIXTURE_PROJECT, tmp_path / "second", schemas.CHANGED)
    result = deploy(second, convex_deployment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert convex_deployment.active_schema() == project_export(second)
    diff = convex_deployment.pushes()[-1]["indexDiff"]
    assert sorted(i["name"] for i in diff["removed_indexes"]) == [
        "notes.by_pinned_title",
        "notes.by_title",
    ]
    assert [d["_id"] for d in convex_deployment.documents("notes")] == [note_id]


def test_the_cli_fails_on_a_narrowing_push_and_the_old_schema_stays(tmp_path, convex_deployment):
    first = copy_project(FIXTURE_PROJECT, tmp_path / "first")
    assert deploy(first, convex_deployment).returncode == 0
    before = convex_deployment.active_schema()
    convex_deployment.insert("notes", {"title": "t", "body": "b", "pinned": False})
    narrowed = copy_project(FIXTURE_PROJECT, tmp_path / "narrowed", schemas.NARROWED)
    result = deploy(narrowed, convex_deployment)
    assert result.returncode != 0
    assert "notes" in result.stdout + result.stderr
    assert convex_deployment.active_schema() == before


def test_the_cli_refuses_a_bad_admin_key(tmp_path, convex_deployment):
    project = copy_project(FIXTURE_PROJECT, tmp_path / "project")
    result = run_cli(
        project,
        "deploy",
        "--url",
        convex_deployment.url,
        "--admin-key",
        convex_deployment.name + "|" + "0" * 64,
        "-y",
    )
    assert result.returncode != 0
    assert "The provided deploy key was invalid" in result.stdout + result.stderr
    assert convex_deployment.active_schema() is None


def test_the_cli_deploys_the_byod_package(tmp_path, convex_deployment):
    project = copy_project(BYOD_PROJECT, tmp_path / "byod")
    result = deploy(project, convex_deployment)
    assert result.returncode == 0, result.stdout + result.stderr
    active = convex_deployment.active_schema()
    assert active == project_export(project)
    out = io.StringIO()
    call_command("byod_schema", "json", stdout=out)
    assert canonical(active) == canonical(json.loads(out.getvalue()))


def canonical(schema: dict) -> dict:
    """The same schema whatever order tables and indexes were listed in."""
    index_lists = (
        "indexes",
        "stagedDbIndexes",
        "searchIndexes",
        "stagedSearchIndexes",
        "vectorIndexes",
        "stagedVectorIndexes",
    )
    tables = []
    for table in sorted(schema["tables"], key=lambda t: t["tableName"]):
        table = {**table}
        for key in index_lists:
            table[key] = sorted(table.get(key) or [], key=lambda i: i["indexDescriptor"])
        tables.append(table)
    return {**schema, "tables": tables}
