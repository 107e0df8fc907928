"""Shipping a new version end to end: change the schema, bump, build, diff, check."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from byod import builds
from byod.management.commands import byod_build, byod_schema
from byod.package.schema import schema as package_schema
from byod.package.version import CHANGELOG, CURRENT_VERSION
from byod.schema import Schema, define_table, python_types, v, versioning
from byod.schema.notes import VersionNotes


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Lock file, builds and project directory copied to tmp_path, so the repo stays untouched."""
    shutil.copytree(builds.BUILDS_DIR, tmp_path / "builds")
    shutil.copyfile(versioning.LOCK_PATH, tmp_path / "lock.json")
    monkeypatch.setattr(builds, "BUILDS_DIR", tmp_path / "builds")
    monkeypatch.setattr(versioning, "LOCK_PATH", tmp_path / "lock.json")
    monkeypatch.setattr(byod_build, "PROJECT_DIR", tmp_path / "project")
    shutil.copytree(python_types.TYPES_DIR, tmp_path / "tables")
    monkeypatch.setattr(python_types, "TYPES_DIR", tmp_path / "tables")
    builds.manifest.cache_clear()
    builds._raw.cache_clear()
    yield tmp_path
    builds.manifest.cache_clear()
    builds._raw.cache_clear()


def changed_schema() -> Schema:
    tables = dict(package_schema.tables)
    tables["reactions"] = (
        define_table({"messageId": v.id("messages"), "userId": v.string(), "emoji": v.string()})
        .index("by_message", ["messageId"])
        .owned_through("messageId")
    )
    return Schema(tables, True)


def use(
    monkeypatch: pytest.MonkeyPatch, schema: Schema, version: int, log: dict[int, VersionNotes]
) -> None:
    for module in (byod_build, byod_schema):
        monkeypatch.setattr(module, "CURRENT_VERSION", version)
        monkeypatch.setattr(module, "CHANGELOG", log)
    monkeypatch.setattr(byod_build, "schema", schema)
    monkeypatch.setattr(byod_schema, "package_schema", schema)


def test_it_refuses_to_rebuild_a_released_version_with_new_content(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use(monkeypatch, changed_schema(), CURRENT_VERSION, CHANGELOG)
    with pytest.raises(CommandError, match="Bump CURRENT_VERSION"):
        call_command("byod_build", stdout=StringIO())
    assert not (sandbox / "builds" / f"v{CURRENT_VERSION + 1}").exists()


def test_it_ships_a_new_version(sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    new = CURRENT_VERSION + 1
    use(monkeypatch, changed_schema(), new, {**CHANGELOG})
    with pytest.raises(CommandError, match="CHANGELOG entry"):
        call_command("byod_build", stdout=StringIO())

    use(
        monkeypatch,
        changed_schema(),
        new,
        {**CHANGELOG, new: VersionNotes("Reactions on messages.", "React to a message.")},
    )
    out = StringIO()
    call_command("byod_build", stdout=out)
    assert f"built v{new}" in out.getvalue()
    assert builds.available_versions() == [*range(1, new + 1)]
    assert builds.package_hash(new) != builds.package_hash(CURRENT_VERSION)
    schema_js = builds.load_artifact(new)["appDefinition"]["schema"]["source"]
    assert "reactions" in schema_js
    assert (
        f"// BYOD schema package v{new}."
        in (sandbox / "project" / "convex" / "schema.ts").read_text()
    )

    out = StringIO()
    call_command("byod_schema", "diff", "--to", str(new), "--json", stdout=out)
    changes = json.loads(out.getvalue())["changes"]
    assert [(c["kind"], c["table"], c["classification"]) for c in changes] == [
        ("table_added", "reactions", "safe")
    ]
    call_command("byod_schema", "check", stdout=StringIO())
