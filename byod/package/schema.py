"""The BYOD content schema: every table group of seed 000 plus our meta table."""

from __future__ import annotations

from byod.package import (
    bookmarks,
    conversations,
    files,
    memories,
    messages,
    meta,
    notes,
    presentations,
    projects,
    tags,
    tasks,
    usage,
)
from byod.schema import define_schema

schema = define_schema(
    {
        # Core content
        **conversations.TABLES,
        **messages.TABLES,
        **memories.TABLES,
        # Files
        **files.TABLES,
        # Organization
        **projects.TABLES,
        **notes.TABLES,
        **tasks.TABLES,
        **bookmarks.TABLES,
        **tags.TABLES,
        # Usage tracking
        **usage.TABLES,
        # Presentations
        **presentations.TABLES,
        # Package bookkeeping
        **meta.TABLES,
    }
)
