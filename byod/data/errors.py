"""The one error of the data plane: `DataError`, a `ByodError` with a category of the table.

Whatever fails under `byod.data` (the deployment's answer, the location, a value refused before
sending, a cursor from elsewhere) reaches the caller as a DataError, so a view catches one kind
and shows the category's words. The client's own failures keep their category, detail, retry
flag and any delay the deployment asked for.
"""

from __future__ import annotations

from byod.errors import VALUE_REFUSED, ByodError, ConvexError, clip


class DataError(ByodError):
    """A failure of the data plane; `category` says which (`byod.categories`). `code` is the
    code a function of ours threw (`not_found`, ...) when it threw one."""

    code: str | None = None

    @classmethod
    def of(cls, error: ByodError) -> DataError:
        """`error` as a DataError, with everything it said (a DataError is returned as is)."""
        if isinstance(error, DataError):
            return error
        made = cls(
            error.category,
            error.detail,
            user_message=error.user_message,
            retryable=error.retryable,
            field=error.field,
            table=error.table,
            index=error.index,
            retry_after=error.retry_after,
        )
        made.code = error.code if isinstance(error, ConvexError) else None
        return made


def refused(path: str, why: str) -> DataError:
    """A value Convex would refuse, refused before sending: names the field path and the rule
    (never the value: it may be anything the user typed)."""
    where = clip(path or "the document", 200)
    return DataError(
        VALUE_REFUSED,
        f"{where}: {why}",
        user_message=f"The value at {where} cannot be stored: {why}. Nothing was sent.",
    )
