"""The package version and its notes. Bump CURRENT_VERSION for every shipped change.

Each version's notes have two voices (`byod.schema.notes.VersionNotes`): `operator`, what
changed in the package (functions, tables, fields, fixes to the seed spec), for the admin and
the commands; `user`, what the version means for a user's content, in plain words, for the
settings page and mails. `byod_schema check` wants both and refuses developer words (a function
path, a field name as code, a file path, "seed") in the user notes. A new version adds
`N: VersionNotes(operator="...", user="...")`.
"""

from __future__ import annotations

from byod.schema.notes import VersionNotes

CURRENT_VERSION = 2

CHANGELOG: dict[int, VersionNotes] = {
    1: VersionNotes(
        operator=(
            "Initial BYOD schema - conversations, messages, memories, files, projects, notes,"
            " tasks, bookmarks, tags, usage, presentations; meta functions (meta:get,"
            " meta:record) and the byodMeta table. Fixes to seed 000: messages gets the optional"
            " `embedding` field (array of float64, 1536 dimensions) its vector index needs;"
            " indexes added for id references that had none: memories.by_source_message,"
            " tasks.by_source_message, presentations.by_source_conversation."
        ),
        user=(
            "The first version: your conversations, messages, memories, files, projects, notes,"
            " tasks, bookmarks, tags, usage and presentations are kept in your own deployment."
        ),
    ),
    2: VersionNotes(
        operator=(
            "Data migrations. The package gains its migration runner (migrations:runBatch,"
            " dryRunBatch, count, status, reset, describe) and the byodMigrations table that keeps"
            " each migration's progress. conversations.isArchived, conversations.isPinned and"
            " memories.isActive become required, so index lookups by them find every document;"
            " existing documents without them are backfilled (false, false, true). Writers must"
            " now set these fields."
        ),
        user=(
            "Every conversation now says whether it is archived or pinned, and every memory"
            " whether it is active, so lists of archived, pinned or active items find all of"
            " them. Your existing conversations and memories are filled in for you: not"
            " archived, not pinned, active."
        ),
    ),
}
