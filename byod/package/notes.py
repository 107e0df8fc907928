"""Notes (Markdown)."""

from __future__ import annotations

from byod.schema import define_table, v

notes = (
    define_table(
        {
            "userId": v.string(),
            "title": v.string(),
            "content": v.string(),  # Markdown
            "isPinned": v.optional(v.boolean()),
            "isArchived": v.optional(v.boolean()),
            "createdAt": v.number(),
            "updatedAt": v.number(),
        }
    )
    .index("by_user", ["userId"])
    .index("by_user_pinned", ["userId", "isPinned"])
    .index("by_user_archived", ["userId", "isArchived"])
    .search_index("search_content", search_field="content", filter_fields=["userId"])
    .owned_by("userId")
)

TABLES = {"notes": notes}
