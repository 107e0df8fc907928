"""The DSL's export equals what the real `convex` package exports for the same TypeScript."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from byod.package import schema_export
from byod.package.schema import schema as package_schema
from byod.schema import define_table, v
from byod.schema.typescript import schema_ts
from tests.schema.fixtures import all_validators, seed_001, seed_002
from tests.schema.node import real_exports

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def exports() -> dict[str, Any]:
    # One Node run for every schema of this module.
    return real_exports(
        {
            "package": schema_ts(package_schema, 1),
            "all_validators": schema_ts(all_validators.schema),
            "unvalidated": schema_ts(all_validators.unvalidated),
            "seed_001_generated": schema_ts(seed_001.schema),
            "seed_002_generated": schema_ts(seed_002.schema),
            "seed_001_ts": (FIXTURES / "seed_001_schema.ts").read_text(),
            "seed_002_ts": (FIXTURES / "seed_002_schema.ts").read_text(),
        }
    )


def test_it_exports_the_package_exactly_as_convex_does(exports: dict[str, Any]) -> None:
    assert package_schema.export() == exports["package"]
    assert schema_export() == exports["package"]


def test_it_exports_every_validator_and_index_kind_as_convex_does(
    exports: dict[str, Any],
) -> None:
    assert all_validators.schema.export() == exports["all_validators"]
    assert all_validators.unvalidated.export() == exports["unvalidated"]
    assert exports["unvalidated"]["schemaValidation"] is False


def test_it_expresses_the_schema_of_seed_001(exports: dict[str, Any]) -> None:
    assert seed_001.schema.export() == exports["seed_001_ts"]
    assert exports["seed_001_generated"] == exports["seed_001_ts"]


def test_it_expresses_the_schema_of_seed_002(exports: dict[str, Any]) -> None:
    assert seed_002.schema.export() == exports["seed_002_ts"]
    assert exports["seed_002_generated"] == exports["seed_002_ts"]


def test_it_keeps_nested_index_paths() -> None:
    agents = all_validators.schema.export()["tables"][0]
    assert {"indexDescriptor": "by_deep", "fields": ["deep.a.b"]} in agents["indexes"]


def test_it_encodes_int64_literals_like_convex() -> None:
    assert v.literal(1, int64=True).json() == {
        "type": "literal",
        "value": {"$integer": "AQAAAAAAAAA="},
    }


def test_it_refuses_what_convex_refuses() -> None:
    with pytest.raises(ValueError, match="optional"):
        v.record(v.string(), v.optional(v.string()))
    with pytest.raises(TypeError):
        v.array("string")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        define_table("users")  # type: ignore[arg-type]


def test_it_gives_every_seed_table_to_the_package() -> None:
    seed = (Path(__file__).resolve().parents[2].parent / "shared" / "seeds").glob("000_*")
    text = next(iter(seed), None)
    expected = {
        "conversations", "conversationParticipants", "messages", "toolCalls", "sources",
        "attachments", "memories", "files", "fileChunks", "projects", "projectConversations",
        "projectNotes", "projectFiles", "notes", "tasks", "bookmarks", "snippets", "tags",
        "conversationTags", "noteTags", "taskTags", "usageRecords", "ttsCache", "presentations",
        "slides", "outlineItems", "designTemplates", "presentationSessions",
    }  # fmt: skip
    assert set(package_schema.tables) == expected | {
        "byodMeta",
        "byodMigrations",
        "byodOperations",
        "byodIdMap",
    }
    if text is not None:
        for table in expected:
            assert f"{table}: defineTable(" in text.read_text()
    for table in package_schema.tables.values():
        if "userId" in table.fields:
            assert table.fields["userId"].json() == {"type": "string"}


def test_it_fixes_the_seed_defects() -> None:
    messages = package_schema.tables["messages"]
    assert messages.fields["embedding"].json() == {
        "type": "array",
        "value": {"type": "number"},
    }
    assert messages.fields["embedding"].optional
    assert messages.vector_indexes[0].dimensions == 1536
    for table, field in (
        ("memories", "sourceMessageId"),
        ("tasks", "sourceMessageId"),
        ("presentations", "sourceConversationId"),
    ):
        assert any(i.fields[0] == field for i in package_schema.tables[table].indexes)
