"""The version guards (`byod_schema check`), the expanded schema and the migration DSL."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from byod import package
from byod.management.commands import byod_schema
from byod.package import rewrites as declarations
from byod.package.schema import schema as package_schema
from byod.package.version import CHANGELOG, CURRENT_VERSION
from byod.schema import Schema, define_schema, define_table, v
from byod.schema.expand import expand_exports
from byod.schema.guards import downgrade, forward_problems
from byod.schema.notes import VersionNotes
from byod.schema.rewrites import (
    Backfill,
    MapValues,
    Remove,
    Rename,
    Rewrite,
    RewriteDefinitionError,
    VersionRewrites,
    coalesce,
    field,
)
from byod.schema.typescript import PROJECT_DIR, write_project
from byod.schema.versioning import LOCK_PATH
from tests.migrations import sample

NEW = CURRENT_VERSION + 1


@pytest.fixture
def next_version(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """byod_schema check judges version CURRENT+1 (its lock entry aside, in a copy)."""
    lock = tmp_path / "lock.json"
    shutil.copyfile(LOCK_PATH, lock)
    monkeypatch.setattr("byod.schema.versioning.LOCK_PATH", lock)
    monkeypatch.setattr(byod_schema, "CURRENT_VERSION", NEW)
    monkeypatch.setattr(
        byod_schema, "CHANGELOG", {**CHANGELOG, NEW: VersionNotes("Next.", "Next.")}
    )
    yield


def with_notes_changed(**fields: object) -> Schema:
    tables = dict(package_schema.tables)
    notes = tables["notes"]
    document = {**notes.fields, **fields}
    changed = define_table({k: f for k, f in document.items() if f is not None})  # type: ignore[misc]
    changed.indexes = list(notes.indexes)
    changed.search_indexes = list(notes.search_indexes)
    changed.ownership = notes.ownership
    tables["notes"] = changed
    return define_schema(tables)


def check(monkeypatch: pytest.MonkeyPatch, schema: Schema, declared: VersionRewrites) -> str:
    monkeypatch.setattr(byod_schema, "package_schema", schema)
    monkeypatch.setitem(declarations.DECLARATIONS, NEW, declared)
    err = StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command("byod_schema", "check", stdout=StringIO(), stderr=err)
    return err.getvalue()


def test_the_check_refuses_a_version_with_an_uncovered_required_field(
    next_version: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = with_notes_changed(folder=v.string())
    said = check(monkeypatch, schema, VersionRewrites(NEW))
    assert f"v{NEW}: notes.folder is required but the documents do not have it" in said
    assert "Backfill('folder', <value or expression>)" in said
    assert f"byod/package/rewrites/v{NEW}.py" in said


def test_the_check_accepts_it_once_a_migration_covers_it(
    next_version: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = with_notes_changed(folder=v.string())
    covered = VersionRewrites(
        NEW,
        (Rewrite("folders", table="notes", ops=[Backfill("folder", "inbox")]),),
        downgrade_acknowledge=("notes.folder",),  # going back drops the folders
    )
    monkeypatch.setattr(byod_schema, "package_schema", schema)
    monkeypatch.setitem(declarations.DECLARATIONS, NEW, covered)
    err = StringIO()
    with pytest.raises(CommandError):  # only because v(NEW) was never built
        call_command("byod_schema", "check", stdout=StringIO(), stderr=err)
    assert err.getvalue().strip().splitlines() == [
        f"version {NEW} is not in lock.json: run `manage.py byod_build`."
    ]


def test_a_destructive_change_must_be_acknowledged(
    next_version: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = with_notes_changed(isArchived=None)
    removal = Rewrite("drop-archived", table="notes", ops=[Remove("isArchived")])
    said = check(monkeypatch, schema, VersionRewrites(NEW, (removal,)))
    assert "notes.isArchived removed (destructive)" in said
    assert "adding 'notes.isArchived' to `acknowledge`" in said
    # Without the migration the documents would still hold the field: that is said too.
    said = check(monkeypatch, schema, VersionRewrites(NEW, acknowledge=("notes.isArchived",)))
    assert "remove it (Remove('isArchived'))" in said


def test_guards_name_what_each_change_needs() -> None:
    old = define_schema(
        {
            "t": define_table(
                {
                    "a": v.string(),
                    "kind": v.union(v.literal("x"), v.literal("y"), v.literal("z")),
                    "maybe": v.optional(v.number()),
                }
            )
        }
    ).export()
    new = define_schema(
        {
            "t": define_table(
                {
                    "b": v.string(),
                    "kind": v.union(v.literal("x"), v.literal("y")),
                    "maybe": v.number(),
                    "at": v.number(),
                }
            )
        }
    ).export()
    said = forward_problems(old, new, VersionRewrites(2))
    assert any("the values 'z' no longer fit its type: map them" in p for p in said)
    assert any("t.b is required but the documents do not have it" in p for p in said)
    assert any("t.maybe is required but some documents may not have it" in p for p in said)
    assert any("t.a is no longer in the schema but documents still hold it" in p for p in said)
    covered = VersionRewrites(
        2,
        (
            Rewrite(
                "all",
                table="t",
                ops=[
                    Rename("a", "b"),
                    MapValues("kind", {"z": "y"}),
                    Backfill("maybe", 0),
                    Backfill("at", coalesce(field("maybe"), 0)),
                ],
            ),
        ),
    )
    assert forward_problems(old, new, covered) == []
    half = [Rename("a", "b"), MapValues("kind", {"z": "y"}), Backfill("maybe", 0)]
    maybe = VersionRewrites(
        2, (Rewrite("m", table="t", ops=[*half, Backfill("at", field("nothing"))]),)
    )
    assert forward_problems(old, new, maybe) == [
        "v2: t: migration 'm': Backfill('at') reads a field the documents do not have.",
        "v2: t.at is required but the documents do not have it: backfill it (Backfill('at', "
        "<value or expression>)) or rename a field to it, in a migration on t "
        "(byod/package/rewrites/v2.py).",
    ]
    wrong = VersionRewrites(2, (Rewrite("m", table="t", ops=[*half, Backfill("at", "soon")]),))
    assert forward_problems(old, new, wrong) == [
        "v2: t.at: what the migrations set ('soon') does not fit its type (number) "
        "(byod/package/rewrites/v2.py)."
    ]


def test_going_back_is_classified_refused_or_acknowledged() -> None:
    v1 = define_schema({"t": define_table({"a": v.string(), "gone": v.string()})}).export()
    v2 = define_schema({"t": define_table({"b": v.string(), "extra": v.number()})}).export()
    declared = VersionRewrites(
        2,
        (Rewrite("m", table="t", ops=[Rename("a", "b"), Remove("gone"), Backfill("extra", 1)]),),
        acknowledge=("t.gone",),
    )
    back = downgrade(v2, v1, declared)
    # v1 requires `gone`, which v2 removed: there is no way back.
    assert back.refused and "t.gone is required" in back.refused[0]
    v1_optional = define_schema({"t": define_table({"a": v.string()})}).export()
    back = downgrade(v2, v1_optional, declared)
    assert back.refused == ()
    assert back.loses == ("t.extra",)
    (steps,) = back.migrations
    assert [op.json() for op in steps.ops] == [
        {"op": "rename", "from": "b", "to": "a"},
        {"op": "remove", "field": "extra"},
    ]


def test_the_expanded_schema_accepts_every_versions_documents() -> None:
    exports = [sample.SCHEMAS[n].export() for n in (1, 2, 3)]
    expanded = expand_exports(exports)
    messages = next(t for t in expanded["tables"] if t["tableName"] == "messages")
    fields = messages["documentType"]["value"]
    assert fields["body"]["optional"] and fields["content"]["optional"]
    assert fields["sentAt"]["optional"] and fields["preview"]["optional"]
    assert not fields["conversationId"]["optional"]  # required in every version
    roles = {m["value"] for m in fields["role"]["fieldType"]["value"]}
    assert roles == {"user", "assistant", "tool"}
    assert [i["indexDescriptor"] for i in messages["indexes"]] == [
        "by_conversation",
        "by_conversation_sent",
    ]


def test_the_packages_and_the_samples_versions_pass_their_guards() -> None:
    assert package.history_of(package_schema, CURRENT_VERSION).problems() == []
    assert sample.history().problems() == []


def test_a_mapping_that_would_change_its_own_output_again_is_refused() -> None:
    with pytest.raises(RewriteDefinitionError, match="both an old and a new value"):
        MapValues("s", {"a": "b", "b": "c"})
    with pytest.raises(RewriteDefinitionError, match="nested fields need a Custom"):
        Backfill("a.b", 1)


def tsc(project: Path) -> subprocess.CompletedProcess[str]:
    (project / "node_modules").symlink_to(PROJECT_DIR / "node_modules")
    compiler = PROJECT_DIR / "node_modules" / "typescript" / "bin" / "tsc"
    return subprocess.run(
        ["node", str(compiler), "--noEmit", "-p", str(project)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("which", ["sample v2", "sample v3", "package"])
def test_the_target_and_expanded_projects_type_check(tmp_path: Path, which: str) -> None:
    if which == "package":
        version, target = CURRENT_VERSION, package_schema
        release = package.history_of(package_schema, CURRENT_VERSION).release(version)
    else:
        version = int(which[-1])
        target = sample.SCHEMAS[version]
        release = sample.history().release(version, sources=sample.sources())
    for name, schema in (("target", target), ("expanded", release.expanded)):
        assert schema is not None
        project = tmp_path / name
        custom = release.custom_functions
        write_project(project, schema, version, custom_functions=custom, sources=release.sources)
        done = tsc(project)
        assert done.returncode == 0, done.stdout + done.stderr
        registry = (project / "convex" / "migrationRegistry.ts").read_text()
        assert ("countWords," in registry) == which.startswith("sample")


def test_tsc_refuses_a_hand_written_function_that_does_not_exist(tmp_path: Path) -> None:
    write_project(tmp_path, package_schema, CURRENT_VERSION, custom_functions=["noSuchFunction"])
    done = tsc(tmp_path)
    assert done.returncode != 0 and "noSuchFunction" in done.stdout
