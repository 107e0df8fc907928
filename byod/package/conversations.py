"""Conversations and their participants."""

from __future__ import annotations

from byod.schema import define_table, v

conversations = (
    define_table(
        {
            "userId": v.string(),  # the user's external id: users live in the main database
            "title": v.optional(v.string()),
            "model": v.optional(v.string()),
            "systemPrompt": v.optional(v.string()),
            "isArchived": v.boolean(),  # v2: required (backfilled with false)
            "isPinned": v.boolean(),  # v2: required (backfilled with false)
            "lastMessageAt": v.optional(v.number()),
            "messageCount": v.optional(v.number()),
            "createdAt": v.number(),
            "updatedAt": v.number(),
        }
    )
    .index("by_user", ["userId"])
    .index("by_user_archived", ["userId", "isArchived"])
    .index("by_user_pinned", ["userId", "isPinned"])
    .index("by_user_last_message", ["userId", "lastMessageAt"])
    .search_index("search_title", search_field="title", filter_fields=["userId"])
    .owned_by("userId")
)

conversation_participants = (
    define_table(
        {
            "conversationId": v.id("conversations"),
            "clerkId": v.string(),
            "role": v.union(v.literal("owner"), v.literal("collaborator"), v.literal("viewer")),
            "joinedAt": v.number(),
        }
    )
    .index("by_conversation", ["conversationId"])
    .index("by_user", ["clerkId"])
    .index("by_conversation_user", ["conversationId", "clerkId"])
    # `clerkId` names a collaborator, not the owner: the conversation's owner owns the rows.
    .owned_through("conversationId")
)

TABLES = {
    "conversations": conversations,
    "conversationParticipants": conversation_participants,
}
