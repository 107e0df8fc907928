"""Tags and the junction tables that attach them."""

from __future__ import annotations

from byod.schema import Table, define_table, v

tags = (
    define_table(
        {
            "userId": v.string(),
            "name": v.string(),
            "color": v.optional(v.string()),
            "scope": v.union(v.literal("user"), v.literal("global")),
            "createdAt": v.number(),
        }
    )
    .index("by_user", ["userId"])
    .index("by_name", ["name"])
    .owned_by("userId")
)


def _junction(ref_field: str, ref_table: str, index_name: str) -> Table:
    return (
        define_table(
            {
                ref_field: v.id(ref_table),
                "tagId": v.id("tags"),
                "userId": v.string(),
                "createdAt": v.number(),
            }
        )
        .index(index_name, [ref_field])
        .index("by_tag", ["tagId"])
        # No index starts with `userId`: the tagged document's owner owns the link.
        .owned_through(ref_field)
    )


TABLES = {
    "tags": tags,
    "conversationTags": _junction("conversationId", "conversations", "by_conversation"),
    "noteTags": _junction("noteId", "notes", "by_note"),
    "taskTags": _junction("taskId", "tasks", "by_task"),
}
