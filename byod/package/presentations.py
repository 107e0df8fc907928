"""Presentations: decks, slides, outlines, design templates, live sessions."""

from __future__ import annotations

from byod.schema import define_table, v

presentations = (
    define_table(
        {
            "userId": v.string(),
            "title": v.string(),
            "description": v.optional(v.string()),
            "theme": v.optional(v.string()),
            "status": v.union(v.literal("draft"), v.literal("ready"), v.literal("presenting")),
            "sourceConversationId": v.optional(v.id("conversations")),
            "createdAt": v.number(),
            "updatedAt": v.number(),
        }
    )
    .index("by_user", ["userId"])
    .index("by_user_status", ["userId", "status"])
    # seed fix: id reference without index
    .index("by_source_conversation", ["sourceConversationId"])
    .owned_by("userId")
)

slides = (
    define_table(
        {
            "presentationId": v.id("presentations"),
            "userId": v.string(),
            "order": v.number(),
            "type": v.union(
                v.literal("title"),
                v.literal("content"),
                v.literal("image"),
                v.literal("code"),
                v.literal("split"),
            ),
            "content": v.any(),  # slide-type specific content
            "notes": v.optional(v.string()),
            "createdAt": v.number(),
            "updatedAt": v.number(),
        }
    )
    .index("by_presentation", ["presentationId"])
    .index("by_presentation_order", ["presentationId", "order"])
    # No index starts with `userId`: owned through the presentation.
    .owned_through("presentationId")
)

outline_items = (
    define_table(
        {
            "presentationId": v.id("presentations"),
            "userId": v.string(),
            "order": v.number(),
            "title": v.string(),
            "content": v.optional(v.string()),
            "isCompleted": v.optional(v.boolean()),
            "createdAt": v.number(),
        }
    )
    .index("by_presentation", ["presentationId"])
    .owned_through("presentationId")
)

design_templates = (
    define_table(
        {
            "userId": v.string(),
            "name": v.string(),
            "config": v.any(),  # theme configuration
            "isDefault": v.optional(v.boolean()),
            "createdAt": v.number(),
            "updatedAt": v.number(),
        }
    )
    .index("by_user", ["userId"])
    .owned_by("userId")
)

presentation_sessions = (
    define_table(
        {
            "presentationId": v.id("presentations"),
            "userId": v.string(),
            "currentSlide": v.number(),
            "isActive": v.boolean(),
            "startedAt": v.number(),
            "endedAt": v.optional(v.number()),
        }
    )
    .index("by_presentation", ["presentationId"])
    .index("by_user_active", ["userId", "isActive"])
    .owned_by("userId")
)

TABLES = {
    "presentations": presentations,
    "slides": slides,
    "outlineItems": outline_items,
    "designTemplates": design_templates,
    "presentationSessions": presentation_sessions,
}
