"""The package version and its changelog. Bump CURRENT_VERSION for every shipped change."""

from __future__ import annotations

CURRENT_VERSION = 2

CHANGELOG: dict[int, str] = {
    1: (
        "Initial BYOD schema - conversations, messages, memories, files, projects, notes, tasks,"
        " bookmarks, tags, usage, presentations; meta functions (meta:get, meta:record) and the"
        " byodMeta table. Fixes to seed 000: messages gets the optional `embedding` field"
        " (array of float64, 1536 dimensions) its vector index needs; indexes added for id"
        " references that had none: memories.by_source_message, tasks.by_source_message,"
        " presentations.by_source_conversation."
    ),
    2: (
        "Data migrations. The package gains its migration runner (migrations:runBatch,"
        " dryRunBatch, count, status, reset, describe) and the byodMigrations table that keeps each"
        " migration's progress. conversations.isArchived, conversations.isPinned and"
        " memories.isActive become required, so index lookups by them find every document;"
        " existing documents without them are backfilled (false, false, true). Writers must"
        " now set these fields."
    ),
}
