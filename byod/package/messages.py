"""Messages and what hangs off them: tool calls, sources, attachments."""

from __future__ import annotations

from byod.schema import define_table, v

EMBEDDING_DIMENSIONS = 1536

messages = (
    define_table(
        {
            "conversationId": v.id("conversations"),
            "userId": v.string(),
            "role": v.union(v.literal("user"), v.literal("assistant"), v.literal("system")),
            "content": v.string(),
            "model": v.optional(v.string()),
            # Generation state
            "status": v.optional(
                v.union(
                    v.literal("pending"),
                    v.literal("generating"),
                    v.literal("complete"),
                    v.literal("error"),
                    v.literal("stopped"),
                )
            ),
            "partialContent": v.optional(v.string()),
            "error": v.optional(v.string()),
            "generationStartedAt": v.optional(v.number()),
            "generationCompletedAt": v.optional(v.number()),
            # Token tracking
            "inputTokens": v.optional(v.number()),
            "outputTokens": v.optional(v.number()),
            "cost": v.optional(v.number()),
            # Branching
            "parentMessageId": v.optional(v.id("messages")),
            "branchIndex": v.optional(v.number()),
            # Metadata
            "metadata": v.optional(v.any()),
            # Seed fix: the seed declares a vector index on `embedding` but no such field.
            "embedding": v.optional(v.array(v.float64())),
            "createdAt": v.number(),
            "updatedAt": v.number(),
        }
    )
    .index("by_conversation", ["conversationId"])
    .index("by_conversation_created", ["conversationId", "createdAt"])
    .index("by_user", ["userId"])
    .index("by_parent", ["parentMessageId"])
    .index("by_status", ["status"])
    .search_index(
        "search_content", search_field="content", filter_fields=["userId", "conversationId"]
    )
    .vector_index(
        "embedding",
        vector_field="embedding",
        dimensions=EMBEDDING_DIMENSIONS,
        filter_fields=["userId", "conversationId"],
    )
    .owned_by("userId")
)

tool_calls = (
    define_table(
        {
            "messageId": v.id("messages"),
            "toolName": v.string(),
            "toolArgs": v.any(),
            "result": v.optional(v.any()),
            "status": v.union(v.literal("pending"), v.literal("complete"), v.literal("error")),
            "error": v.optional(v.string()),
            "createdAt": v.number(),
        }
    )
    .index("by_message", ["messageId"])
    .owned_through("messageId")
)

sources = (
    define_table(
        {
            "messageId": v.id("messages"),
            "url": v.string(),
            "title": v.optional(v.string()),
            "snippet": v.optional(v.string()),
            "createdAt": v.number(),
        }
    )
    .index("by_message", ["messageId"])
    .owned_through("messageId")
)

attachments = (
    define_table(
        {
            "messageId": v.id("messages"),
            "userId": v.string(),
            "storageId": v.optional(v.id("_storage")),
            "filename": v.string(),
            "mimeType": v.string(),
            "size": v.number(),
            "url": v.optional(v.string()),
            "createdAt": v.number(),
        }
    )
    .index("by_message", ["messageId"])
    .index("by_user", ["userId"])
    .owned_by("userId")
)

TABLES = {
    "messages": messages,
    "toolCalls": tool_calls,
    "sources": sources,
    "attachments": attachments,
}
