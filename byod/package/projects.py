"""Projects and the junction tables that put conversations, notes and files in them."""

from __future__ import annotations

from byod.schema import define_table, v

projects = (
    define_table(
        {
            "userId": v.string(),
            "name": v.string(),
            "description": v.optional(v.string()),
            "color": v.optional(v.string()),
            "icon": v.optional(v.string()),
            "isArchived": v.optional(v.boolean()),
            "createdAt": v.number(),
            "updatedAt": v.number(),
        }
    )
    .index("by_user", ["userId"])
    .index("by_user_archived", ["userId", "isArchived"])
    .owned_by("userId")
)

project_conversations = (
    define_table(
        {
            "projectId": v.id("projects"),
            "conversationId": v.id("conversations"),
            "addedAt": v.number(),
            "addedBy": v.string(),
        }
    )
    .index("by_project", ["projectId"])
    .index("by_conversation", ["conversationId"])
    .index("by_project_conversation", ["projectId", "conversationId"])
    .owned_through("projectId")
)

project_notes = (
    define_table(
        {
            "projectId": v.id("projects"),
            "noteId": v.id("notes"),
            "addedAt": v.number(),
            "addedBy": v.string(),
        }
    )
    .index("by_project", ["projectId"])
    .index("by_note", ["noteId"])
    .owned_through("projectId")
)

project_files = (
    define_table(
        {
            "projectId": v.id("projects"),
            "fileId": v.id("files"),
            "addedAt": v.number(),
            "addedBy": v.string(),
        }
    )
    .index("by_project", ["projectId"])
    .index("by_file", ["fileId"])
    .owned_through("projectId")
)

TABLES = {
    "projects": projects,
    "projectConversations": project_conversations,
    "projectNotes": project_notes,
    "projectFiles": project_files,
}
