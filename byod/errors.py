"""Everything a user or an operator can be told about a failure: one base, one category table.

Every failure the product reports is a `ByodError`: a `category` (a stable code stored on
rows and shown to operators), a `user_message` (plain words saying what happens next and what
to do), a `detail` for operators (never a secret: callers scrub before they build one), a
`retryable` flag (whether trying the same thing again later can help) and, when the user
must change one input, the form `field` it is about.

`CATEGORIES` (`byod.categories`) is the one table of every category: its default message,
title, HTTP status, whether it is retryable and which field it concerns. The kinds below
(input, Convex, key, artifact, ...) only choose a category and carry their own extra facts;
views, admin and commands catch `ByodError` and nothing narrower unless they treat a kind
differently.

It imports only `byod.categories` (a leaf) from the project: everything else may import it.
"""

from __future__ import annotations

from typing import Any

from django.db import InterfaceError, OperationalError

from byod.categories import (
    ANSWER_TOO_LARGE,
    ARTIFACT_MISSING,
    BAD_CREDENTIALS,
    BLOBS_NOT_MOVED,
    CATEGORIES,
    DATABASE_UNAVAILABLE,
    DEPLOYMENT_NOT_FOUND,
    DESTINATION_REFUSED,
    DOWNGRADE_REFUSED,
    DRIFT,
    EXISTING_DATA_CONFLICT,
    FOREIGN_CONTENT,
    FOREIGN_TABLES,
    INTERNAL_ERROR,
    INVALID_ARGUMENT,
    INVALID_INPUT,
    KEY_MISSING,
    KEY_UNREADABLE,
    MIGRATION_FAILED,
    MOVE_MISMATCH,
    MOVING,
    NOT_ALLOWED,
    NOT_CONNECTED,
    NOT_FOUND,
    OVER_QUOTA,
    OVERLOADED,
    PAUSED,
    PROTOCOL_ERROR,
    PUSH_RACE,
    REFUSED_BY_FUNCTION,
    RENAMED,
    SCHEMA_REJECTED,
    SERVER_ERROR,
    TIMEOUT,
    TOO_MANY_REQUESTS,
    UNAVAILABLE_NOW,
    UNREACHABLE,
    UPDATE_NEEDED,
    VALUE_REFUSED,
    WORKER_LOST,
    Category,
    category,
    find,
)

__all__ = [
    "ANSWER_TOO_LARGE",
    "ARTIFACT_MISSING",
    "BAD_CREDENTIALS",
    "BLOBS_NOT_MOVED",
    "CATEGORIES",
    "DATABASE_UNAVAILABLE",
    "DEPLOYMENT_NOT_FOUND",
    "DESTINATION_REFUSED",
    "DOWNGRADE_REFUSED",
    "DRIFT",
    "EXISTING_DATA_CONFLICT",
    "FOREIGN_CONTENT",
    "FOREIGN_TABLES",
    "INTERNAL_ERROR",
    "INVALID_ARGUMENT",
    "INVALID_INPUT",
    "KEY_MISSING",
    "KEY_UNREADABLE",
    "MIGRATION_FAILED",
    "MOVE_MISMATCH",
    "MOVING",
    "NOT_ALLOWED",
    "NOT_CONNECTED",
    "NOT_FOUND",
    "OVERLOADED",
    "OVER_QUOTA",
    "PAUSED",
    "PROTOCOL_ERROR",
    "PUSH_RACE",
    "REFUSED_BY_FUNCTION",
    "RENAMED",
    "SCHEMA_REJECTED",
    "SERVER_ERROR",
    "TIMEOUT",
    "TOO_MANY_REQUESTS",
    "UNAVAILABLE_NOW",
    "UNREACHABLE",
    "UPDATE_NEEDED",
    "VALUE_REFUSED",
    "WORKER_LOST",
    "Category",
    "category",
    "find",
]

DETAIL_LIMIT = 500
# Our own database away for a moment (locked, its file gone, a restart): retried, never fatal.
TRANSIENT_DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


def clip(text: str, limit: int = DETAIL_LIMIT) -> str:
    """`text` cut to `limit` characters with an ellipsis. Scrub secrets before clipping."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the base ----------------------------------------------------------------------------------


class ByodError(Exception):
    """A failure with a category, a message for the user, a detail for operators, a retry flag.

    `user_message`, `retryable` and `field` default to the category's. `table` / `index` name
    what a schema failure is about; `retry_after` is a delay in seconds the other side asked
    for, when it gave one.
    """

    def __init__(
        self,
        category_code: str,
        detail: str = "",
        *,
        user_message: str | None = None,
        retryable: bool | None = None,
        field: str | None = None,
        table: str | None = None,
        index: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        kind = category(category_code)
        self.category = kind.code
        self.user_message = user_message or kind.message_for(table=table, index=index)
        self.detail = clip(detail or self.user_message)
        self.retryable = kind.retryable if retryable is None else retryable
        self.field = kind.field if field is None else field
        self.table = table
        self.index = index
        self.retry_after = retry_after
        super().__init__(f"{self.category}: {self.detail}")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.category!r}, retryable={self.retryable}, "
            f"detail={self.detail!r})"
        )


# --- kinds -------------------------------------------------------------------------------------


class InputError(ByodError):
    """Bad user input for `field`; the message is safe to show on the form."""

    def __init__(self, field: str, message: str, *, category_code: str = INVALID_INPUT) -> None:
        super().__init__(category_code, message, user_message=message, field=field)

    @property
    def message(self) -> str:
        return self.user_message


class UnsafeDestination(InputError):
    """The host resolves to an address the server must not connect to (SSRF guard)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message, category_code=DESTINATION_REFUSED)


class HostNotFound(InputError):
    """DNS has no address for the host (a typo, or DNS trouble: retrying may help)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message, category_code=UNREACHABLE)


class ConvexError(ByodError):
    """A failure talking to a Convex deployment (built by `byod.client.classify`).

    A function that threw a `ConvexError` carries its data: `data` (JSON, bounded and scrubbed
    by the client) and `code`, the data's `code` field when it has one (our functions throw
    `{code: "NotFound" | "InvalidArgument" | ..., message}`). So does an error answer of Convex
    itself (`{"code": "BadAdminKey"}`: codes Convex uses only; without one, any server's).
    """

    def __init__(
        self, category_code: str, detail: str = "", *, code: str | None = None, data: Any = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(category_code, detail, **kwargs)
        self.code = code
        self.data = data


class KeyUnreadable(ByodError):
    """A stored deploy key cannot be opened (tampered, moved to another row, unknown key id)."""

    def __init__(self, detail: str) -> None:
        super().__init__(KEY_UNREADABLE, detail)


class NoDeployKey(ByodError):
    """The connection has no stored key (it was disconnected)."""

    def __init__(self, detail: str) -> None:
        super().__init__(KEY_MISSING, detail)


class ArtifactError(ByodError):
    """The build artifact of a version is missing or does not match its manifest."""

    def __init__(self, detail: str) -> None:
        super().__init__(ARTIFACT_MISSING, detail)


class ForeignTablesError(ByodError):
    """The deployment already holds tables that are not ours; the user must confirm."""

    def __init__(self, tables: list[str]) -> None:
        self.tables = tables
        shown = ", ".join(tables[:10]) + (" …" if len(tables) > 10 else "")
        message = (
            f"This deployment already has tables that are not part of our schema ({shown}). "
            "Deploying replaces its schema: those tables stay, but the project that uses them "
            "may stop deploying. Connect an empty deployment, or confirm to continue."
        )
        super().__init__(FOREIGN_TABLES, message, user_message=message)

    @property
    def message(self) -> str:
        return self.user_message


class NotAllowed(ByodError):
    """A status move (or an action) that the row's current status does not allow."""

    def __init__(self, detail: str, *, user_message: str | None = None) -> None:
        super().__init__(NOT_ALLOWED, detail, user_message=user_message)


class LeaseLost(ByodError):
    """Our lease on a connection expired and someone else took it over."""

    def __init__(self, detail: str) -> None:
        super().__init__(WORKER_LOST, detail)
