"""The RAG memory system."""

from __future__ import annotations

from byod.package.messages import EMBEDDING_DIMENSIONS
from byod.schema import define_table, v

memories = (
    define_table(
        {
            "userId": v.string(),
            "content": v.string(),
            "category": v.optional(v.string()),
            "source": v.optional(
                v.union(v.literal("extracted"), v.literal("manual"), v.literal("imported"))
            ),
            "sourceConversationId": v.optional(v.id("conversations")),
            "sourceMessageId": v.optional(v.id("messages")),
            "importance": v.optional(v.number()),  # 0-1 score
            "embedding": v.optional(v.array(v.float64())),
            "isActive": v.boolean(),  # v2: required (backfilled with true)
            "createdAt": v.number(),
            "updatedAt": v.number(),
        }
    )
    .index("by_user", ["userId"])
    .index("by_user_active", ["userId", "isActive"])
    .index("by_user_category", ["userId", "category"])
    .index("by_source_conversation", ["sourceConversationId"])
    .index("by_source_message", ["sourceMessageId"])  # seed fix: id reference without index
    .search_index("search_content", search_field="content", filter_fields=["userId", "category"])
    .vector_index(
        "embedding",
        vector_field="embedding",
        dimensions=EMBEDDING_DIMENSIONS,
        filter_fields=["userId", "category", "isActive"],
    )
    .owned_by("userId")
)

TABLES = {"memories": memories}
