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

CURRENT_VERSION = 4

# The first version whose package has the data functions (convex/data/<table>.ts). A
# connection whose deployment runs an older one (the older of pushed and deployed while a
# deploy is under way) needs an update before its content can be read or written. Later
# versions only add functions and optional arguments, so any version from this one on serves
# the Python side of the current one (README, "Data functions and versions").
DATA_FUNCTIONS_SINCE = 3

# The first version whose package has the move functions (data/<table>:exportPage,
# importBatch, fixReferences, removeBatch, foreign and moves:forget, with the byodIdMap table):
# both deployments of a move must run one from this on.
MOVE_FUNCTIONS_SINCE = 4

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
    3: VersionNotes(
        operator=(
            "Data functions. Every table declares whose its documents are (owned by a user's"
            " external id, through a parent reference, package-internal or a shared cache), and"
            " each owned table gets internal functions generated from the schema and those"
            " declarations: data/<table>:get, page, insert, patch, remove, and search where the"
            " table has a search index. All are scoped by owner (another owner's document is"
            " not found, also through a parent) and every mutation is idempotent by an operation"
            " id kept 24 hours in the new byodOperations table. remove takes a document's"
            " children with it, at most 1,000 documents a call. No data changes."
        ),
        user=(
            "Your content can now be read and written by the app in your own deployment: your"
            " conversations, messages, notes and the rest. Each request only ever sees your own"
            " content, and a request that is sent twice is applied once. Nothing you already"
            " have changes."
        ),
    ),
    4: VersionNotes(
        operator=(
            "Move functions. Each owned table gets internal functions that copy one owner's"
            " documents between deployments: data/<table>:exportPage (the owner's documents in"
            " creation order, parent-owned tables through their parents), importBatch (inserts a"
            " batch with references remapped, idempotent by operation id and by the new"
            " byodIdMap table of copied ids), fixReferences (sets self references once their"
            " targets are copied), removeBatch and foreign (whether another owner's documents"
            " are there); moves:forget removes a move's id map. Additive: no data changes."
        ),
        user=(
            "Your content can now be moved between the app's storage and your own deployment,"
            " in both directions, checked document by document, without losing or doubling"
            " anything. Nothing you already have changes."
        ),
    ),
}
