"""Fingerprints, the lock file check and classified diffs between versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from byod.package.rewrites import declared
from byod.package.schema import schema as package_schema
from byod.package.version import CHANGELOG, CURRENT_VERSION
from byod.schema import define_schema, define_table, v
from byod.schema.diff import DESTRUCTIVE, NEEDS_MIGRATION, SAFE, diff_exports, summary
from byod.schema.notes import VersionNotes, developer_words
from byod.schema.versioning import (
    check,
    fingerprint,
    function_sources,
    locked_export,
    record_version,
)


def base() -> object:
    return define_schema(
        notes=define_table({"title": v.string(), "body": v.optional(v.string())}).index(
            "by_title", ["title"]
        ),
    )


def test_it_locks_the_current_package_version() -> None:
    migrations = declared(CURRENT_VERSION).json()
    assert check(package_schema, CURRENT_VERSION, CHANGELOG, migrations=migrations) == []
    assert locked_export(CURRENT_VERSION) == package_schema.export()


def test_it_fails_when_content_changes_without_a_version_bump(tmp_path: Path) -> None:
    lock = tmp_path / "lock.json"
    record_version(1, base(), path=lock)
    assert check(base(), 1, notes(1), path=lock) == []
    changed = base()
    changed.tables["notes"].index("by_body", ["body"])
    problems = check(changed, 1, notes(1), path=lock)
    assert len(problems) == 1 and "Bump CURRENT_VERSION" in problems[0]
    with pytest.raises(ValueError, match="Bump CURRENT_VERSION"):
        record_version(1, changed, path=lock)
    record_version(2, changed, path=lock)
    assert check(changed, 2, notes(1, 2), path=lock) == []


def notes(*versions: int) -> dict[int, VersionNotes]:
    return {v: VersionNotes(operator=f"v{v} for operators", user=f"Version {v}.") for v in versions}


def test_it_fails_when_a_version_has_no_changelog_entry(tmp_path: Path) -> None:
    lock = tmp_path / "lock.json"
    record_version(1, base(), path=lock)
    record_version(2, base(), path=lock)
    problems = check(base(), 2, notes(1), path=lock)
    assert problems == [
        "version 2 has no CHANGELOG entry (operator notes) in byod/package/version.py."
    ]


def test_it_fails_when_the_current_version_was_never_built(tmp_path: Path) -> None:
    problems = check(base(), 1, notes(1), path=tmp_path / "lock.json")
    assert "run `manage.py byod_build`" in problems[0]


def test_it_fingerprints_the_function_sources_too() -> None:
    sources = function_sources()
    assert "convex/meta.ts" in sources
    changed = {**sources, "convex/meta.ts": sources["convex/meta.ts"] + "\n// edit\n"}
    assert fingerprint(base(), sources) != fingerprint(base(), changed)
    assert fingerprint(base(), sources) == fingerprint(base(), dict(sources))


def test_it_keeps_every_released_export_in_the_lock() -> None:
    lock = json.loads(Path("byod/package/versions.lock.json").read_text())
    for version in range(1, CURRENT_VERSION + 1):
        assert lock["versions"][str(version)]["export"]["tables"]


def classified(old: object, new: object) -> dict[tuple[str, str | None], str]:
    return {
        (c.kind, c.name or c.table): c.classification
        for c in diff_exports(
            old.export(),
            new.export(),  # type: ignore[attr-defined]
        )
    }


def test_it_classifies_additions_as_safe() -> None:
    new = base()
    new.tables["notes"] = (
        define_table(
            {"title": v.string(), "body": v.optional(v.string()), "pin": v.optional(v.boolean())}
        )
        .index("by_title", ["title"])
        .index("by_pin", ["pin"])
        .search_index("search_body", search_field="body")
    )
    new.tables["tags"] = define_table({"name": v.string()})
    assert classified(base(), new) == {
        ("field_added", "pin"): SAFE,
        ("indexes_added", "by_pin"): SAFE,
        ("searchIndexes_added", "search_body"): SAFE,
        ("table_added", "tags"): SAFE,
    }


def test_it_classifies_required_fields_and_narrowed_types_as_needing_a_migration() -> None:
    old = define_schema(
        t=define_table(
            {"a": v.string(), "b": v.optional(v.number()), "c": v.union(v.string(), v.null())}
        )
    )
    new = define_schema(
        t=define_table({"a": v.literal("x"), "b": v.number(), "c": v.string(), "d": v.boolean()})
    )
    assert classified(old, new) == {
        ("field_changed", "a"): NEEDS_MIGRATION,
        ("field_changed", "b"): NEEDS_MIGRATION,
        ("field_changed", "c"): NEEDS_MIGRATION,
        ("field_added", "d"): NEEDS_MIGRATION,
    }


def test_it_classifies_widened_types_as_safe() -> None:
    old = define_schema(t=define_table({"a": v.literal("x"), "b": v.number()}))
    new = define_schema(
        t=define_table({"a": v.string(), "b": v.optional(v.union(v.number(), v.null()))})
    )
    assert set(classified(old, new).values()) == {SAFE}


def test_it_classifies_removals_as_destructive() -> None:
    old = base()
    old.tables["tags"] = define_table({"name": v.string()})
    new = define_schema(notes=define_table({"title": v.string()}))
    result = classified(old, new)
    assert result == {
        ("table_removed", "tags"): DESTRUCTIVE,
        ("field_removed", "body"): DESTRUCTIVE,
        ("indexes_removed", "by_title"): DESTRUCTIVE,
    }
    counts = summary(diff_exports(old.export(), new.export()))["counts"]
    assert counts == {SAFE: 0, NEEDS_MIGRATION: 0, DESTRUCTIVE: 3}


def test_it_classifies_a_redefined_index_as_destructive() -> None:
    new = define_schema(
        notes=define_table({"title": v.string(), "body": v.optional(v.string())}).index(
            "by_title", ["title", "body"]
        ),
    )
    assert classified(base(), new) == {("indexes_changed", "by_title"): DESTRUCTIVE}


def test_every_version_has_user_notes_without_developer_words() -> None:
    for version, entry in CHANGELOG.items():
        assert entry.operator.strip() and entry.user.strip(), version
        assert developer_words(entry.user) == [], (version, entry.user)


@pytest.mark.parametrize(
    "said",
    [
        "The runner gains migrations:runBatch.",
        "Fixes to seed 000.",
        "See byod/package/rewrites/v3.py.",
        "conversations.isPinned becomes required.",
        "The byodMigrations table keeps progress.",
        "Adds the `embedding` field.",
        "Adds source_message links.",
    ],
)
def test_developer_words_are_refused_in_user_notes(tmp_path: Path, said: str) -> None:
    lock = tmp_path / "lock.json"
    record_version(1, base(), path=lock)
    entry = {1: VersionNotes(operator=said, user=said)}
    problems = check(base(), 1, entry, path=lock)
    assert len(problems) == 1 and "user notes carry developer words" in problems[0], problems
    assert check(base(), 1, {1: VersionNotes(operator=said, user="Plain words.")}, path=lock) == []
