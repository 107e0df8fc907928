"""Bookmarked messages and code snippets."""

from __future__ import annotations

from byod.schema import define_table, v

bookmarks = (
    define_table(
        {
            "userId": v.string(),
            "messageId": v.id("messages"),
            "conversationId": v.id("conversations"),
            "note": v.optional(v.string()),
            "createdAt": v.number(),
        }
    )
    .index("by_user", ["userId"])
    .index("by_message", ["messageId"])
    .index("by_conversation", ["conversationId"])
    .owned_by("userId")
)

snippets = (
    define_table(
        {
            "userId": v.string(),
            "title": v.string(),
            "content": v.string(),
            "language": v.optional(v.string()),
            "sourceMessageId": v.optional(v.id("messages")),
            "createdAt": v.number(),
            "updatedAt": v.number(),
        }
    )
    .index("by_user", ["userId"])
    .index("by_source", ["sourceMessageId"])
    .owned_by("userId")
)

TABLES = {"bookmarks": bookmarks, "snippets": snippets}
