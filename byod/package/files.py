"""Uploaded files and their embedded chunks."""

from __future__ import annotations

from byod.package.messages import EMBEDDING_DIMENSIONS
from byod.schema import define_table, v

files = (
    define_table(
        {
            "userId": v.string(),
            "storageId": v.optional(v.id("_storage")),
            "filename": v.string(),
            "mimeType": v.string(),
            "size": v.number(),
            "url": v.optional(v.string()),
            "status": v.optional(
                v.union(
                    v.literal("uploading"),
                    v.literal("processing"),
                    v.literal("ready"),
                    v.literal("error"),
                )
            ),
            "error": v.optional(v.string()),
            "metadata": v.optional(v.any()),
            "createdAt": v.number(),
            "updatedAt": v.number(),
        }
    )
    .index("by_user", ["userId"])
    .index("by_user_status", ["userId", "status"])
    .owned_by("userId")
)

file_chunks = (
    define_table(
        {
            "fileId": v.id("files"),
            "userId": v.string(),
            "chunkIndex": v.number(),
            "content": v.string(),
            "embedding": v.optional(v.array(v.float64())),
            "createdAt": v.number(),
        }
    )
    .index("by_file", ["fileId"])
    .index("by_user", ["userId"])
    .vector_index(
        "embedding",
        vector_field="embedding",
        dimensions=EMBEDDING_DIMENSIONS,
        filter_fields=["userId", "fileId"],
    )
    .owned_by("userId")
)

TABLES = {"files": files, "fileChunks": file_chunks}
