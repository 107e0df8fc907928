"""Documents as the templates show them. Everything a deployment answers is untrusted: fields
are read defensively (a missing or odd value shows as nothing, never as an error), and Django
templates cannot read `_id`, so each document becomes a small row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Convex's time fields here are milliseconds since the epoch; beyond this they are nonsense.
LATEST_MS = 253_402_300_799_000  # 9999-12-31


def when(value: Any) -> datetime | None:
    """A millisecond timestamp from a document as a datetime, or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 0 <= value <= LATEST_MS:
        return None
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def now_ms() -> int:
    return int(datetime.now(tz=UTC).timestamp() * 1000)


@dataclass(frozen=True)
class ConversationRow:
    id: str
    title: str
    pinned: bool
    archived: bool
    last_at: datetime | None

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> ConversationRow:
        return cls(
            id=text(doc.get("_id")),
            title=text(doc.get("title")) or "Untitled",
            pinned=doc.get("isPinned") is True,
            archived=doc.get("isArchived") is True,
            last_at=when(doc.get("lastMessageAt")) or when(doc.get("createdAt")),
        )


@dataclass(frozen=True)
class MessageRow:
    id: str
    role: str
    content: str
    at: datetime | None

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> MessageRow:
        role = text(doc.get("role"))
        return cls(
            id=text(doc.get("_id")),
            role=role if role in ("user", "assistant", "system") else "unknown",
            content=text(doc.get("content")),
            at=when(doc.get("createdAt")),
        )


@dataclass(frozen=True)
class NoteRow:
    id: str
    title: str
    content: str
    updated_at: datetime | None

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> NoteRow:
        return cls(
            id=text(doc.get("_id")),
            title=text(doc.get("title")) or "Untitled",
            content=text(doc.get("content")),
            updated_at=when(doc.get("updatedAt")),
        )


def conversations(docs: Iterable[Mapping[str, Any]]) -> list[ConversationRow]:
    return [ConversationRow.of(d) for d in docs]
