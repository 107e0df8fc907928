"""Usage records and the text-to-speech cache."""

from __future__ import annotations

from byod.schema import define_table, v

usage_records = (
    define_table(
        {
            "userId": v.string(),
            "date": v.string(),  # YYYY-MM-DD
            "model": v.string(),
            "inputTokens": v.number(),
            "outputTokens": v.number(),
            "cost": v.number(),
            "requestCount": v.number(),
        }
    )
    .index("by_user", ["userId"])
    .index("by_user_date", ["userId", "date"])
    .index("by_user_model", ["userId", "model"])
    .owned_by("userId")
)

tts_cache = (
    define_table(
        {
            "hash": v.string(),  # hash of text + voice + settings
            "storageId": v.id("_storage"),
            "text": v.string(),
            "voice": v.string(),
            "createdAt": v.number(),
            "expiresAt": v.number(),
        }
    )
    .index("by_hash", ["hash"])
    .index("by_expires", ["expiresAt"])
    .shared_cache()
)

TABLES = {"usageRecords": usage_records, "ttsCache": tts_cache}
