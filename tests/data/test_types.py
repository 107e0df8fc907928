"""The generated types: current, and usable under mypy --strict by the chat product."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from byod.package import get_schema
from byod.schema import define_schema, define_table, python_types, v

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def test_the_committed_types_are_what_the_build_writes() -> None:
    assert python_types.stale(get_schema(), 3) == []


def test_the_build_check_finds_a_changed_or_extra_module(tmp_path: Path) -> None:
    python_types.write(get_schema(), 3, tmp_path)
    assert python_types.stale(get_schema(), 3, tmp_path) == []
    notes = tmp_path / "notes.py"
    notes.write_text(notes.read_text().replace("title", "heading"))
    (tmp_path / "extra.py").write_text("")
    problems = python_types.stale(get_schema(), 3, tmp_path)
    assert any("notes.py is stale" in p for p in problems)
    assert any("extra.py is not generated" in p for p in problems)


def test_byod_build_check_fails_when_the_types_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from byod.management.commands import byod_build
    from byod.schema.build import Release

    python_types.write(get_schema(), 3, tmp_path)
    monkeypatch.setattr(python_types, "TYPES_DIR", tmp_path)
    release = Release()
    assert not any("tables" in p for p in byod_build._stale_sources(get_schema(), release))
    (tmp_path / "tasks.py").write_text("# edited by hand\n")
    problems = byod_build._stale_sources(get_schema(), release)
    assert any("tasks.py is stale" in p for p in problems)


def test_tables_are_typed_by_their_declarations() -> None:
    text = (python_types.TYPES_DIR / "conversations.py").read_text()
    assert "class ConversationsNew(TypedDict):" in text
    new = text.split("class ConversationsNew")[1].split("class ConversationsPatch")[0]
    assert "userId" not in new  # the owner field is set by the data function
    assert "title: NotRequired[str]" in new and "isArchived: bool" in new
    assert "class ConversationsPatch(TypedDict, total=False):" in text


def mypy(path: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return [line for line in done.stdout.splitlines() if ": error:" in line]


def test_typed_use_passes_and_misuse_fails_under_mypy_strict() -> None:
    assert mypy(HERE / "typed_usage.py") == []
    errors = mypy(HERE / "typed_misuse.py")
    source = (HERE / "typed_misuse.py").read_text().splitlines()
    marked = {n for n, line in enumerate(source, start=1) if "# MISUSE" in line}
    assert {int(e.split(":")[1]) for e in errors} == marked, errors


def test_fields_added_after_the_first_data_version_are_optional_when_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema = get_schema()
    notes = schema.tables["notes"]
    grown = define_table({**notes.fields, "mood": v.string()}).owned_by("userId")
    grown.indexes = notes.indexes
    changed = define_schema({**schema.tables, "notes": grown})
    text = python_types.table_module(
        changed, "notes", python_types.added_fields(changed, "notes", 3)
    )
    doc = text.split("class NotesDoc")[1].split("class NotesNew")[0]
    new = text.split("class NotesNew")[1].split("class NotesPatch")[0]
    assert "mood: NotRequired[str]" in doc  # a v3 deployment answers notes without it
    assert "mood: str" in new  # written by this version: required
