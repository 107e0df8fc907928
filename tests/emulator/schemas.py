"""Schema variants of the fixture project, for pushes that change, break or narrow it."""

from __future__ import annotations

from tests.emulator.convex_cli import FIXTURE_PROJECT

BASE = (FIXTURE_PROJECT / "convex" / "schema.ts").read_text()


def _schema(
    notes: str,
    tags: str = 'defineTable({ name: v.string(), count: v.int64() }).index("by_name", ["name"])',
) -> str:
    return (
        'import { defineSchema, defineTable } from "convex/server";\n'
        'import { v } from "convex/values";\n\n'
        f"export default defineSchema({{\n  notes: {notes},\n  tags: {tags},\n}});\n"
    )


NOTES_FIELDS = "{ title: v.string(), body: v.optional(v.string()), pinned: v.boolean() }"

# by_title changes its fields, by_pinned_title goes, by_pinned and a search index arrive.
CHANGED = _schema(
    f"defineTable({NOTES_FIELDS})"
    '.index("by_title", ["title", "pinned"])'
    '.index("by_pinned", ["pinned"])'
    '.searchIndex("search_body", { searchField: "body", filterFields: ["pinned"] })'
)
RESERVED_INDEX_NAME = _schema(f'defineTable({NOTES_FIELDS}).index("by_creation_time", ["title"])')
INDEX_ON_MISSING_FIELD = _schema(f'defineTable({NOTES_FIELDS}).index("by_color", ["color"])')
# `body` goes away: documents that have one no longer match.
NARROWED = _schema(
    'defineTable({ title: v.string(), pinned: v.boolean() }).index("by_title", ["title"])'
)

__all__ = ["BASE", "CHANGED", "INDEX_ON_MISSING_FIELD", "NARROWED", "RESERVED_INDEX_NAME"]
