"""Version 2: the flags that index lookups filter on become required.

`conversations.by_user_archived` and `by_user_pinned`, and `memories.by_user_active`, are
queried with `.eq("isArchived", false)` and the like; a document without the field is not
found by such a lookup. Version 2 requires the fields and backfills the documents that lack
them with the value the app always meant by "missing".
"""

from __future__ import annotations

from byod.schema.rewrites import Backfill, Rewrite, VersionRewrites

DECLARATION = VersionRewrites(
    version=2,
    rewrites=(
        Rewrite(
            "conversation-flags",
            table="conversations",
            ops=[Backfill("isArchived", False), Backfill("isPinned", False)],
            description="Conversations without isArchived / isPinned are neither.",
        ),
        Rewrite(
            "memory-active",
            table="memories",
            ops=[Backfill("isActive", True)],
            description="Memories without isActive are active.",
        ),
    ),
)
