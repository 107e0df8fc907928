"""Page cursors the caller can put in a URL: Convex's cursor, bound to where and what it pages.

Convex's `continueCursor` is valid only on the deployment that made it and for the query that
made it. The cursor we hand out wraps it with the location (connection id and a digest of the
deployment URL), the user whose content it pages, and the query (table, index, order,
equalities, range), signed with Django's signing (the SECRET_KEY's HMAC): a cursor cannot be
forged, nor replayed on another location (after a move, or new credentials pointing
elsewhere), by another user or on another query. The text is URL-safe (base64url and ':').
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core import signing

from byod.data.errors import DataError
from byod.errors import INVALID_INPUT

SALT = "byod.data.cursor"
MAX_LENGTH = 4096  # a Convex cursor is a few hundred characters


@dataclass(frozen=True)
class Scope:
    """What a cursor is valid for: one location's deployment, one query."""

    location: str  # "connection id:url digest:owner" (location_tag)
    table: str
    index: str
    order: str
    eq: Any
    range: Any

    def digest(self) -> str:
        text = json.dumps(
            [self.location, self.table, self.index, self.order, self.eq, self.range],
            sort_keys=True,
            separators=(",", ":"),
            default=repr,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def location_tag(connection_id: int, url: str, owner: str) -> str:
    """One user's content in one deployment: a cursor of another user is refused even where
    both users' content is (the main deployment)."""
    return f"{connection_id}:{hashlib.sha256(url.encode()).hexdigest()[:16]}:{owner}"


def wrap(convex_cursor: str, scope: Scope) -> str:
    """The opaque, signed cursor of `convex_cursor` for `scope`."""
    return signing.dumps({"c": convex_cursor, "s": scope.digest()}, salt=SALT, compress=True)


def unwrap(cursor: str, scope: Scope) -> str:
    """Convex's cursor inside `cursor`, if it was made by us for this very `scope`; else
    DataError(invalid_input)."""
    if not isinstance(cursor, str) or len(cursor) > MAX_LENGTH:
        raise _refused("not a cursor of ours")
    try:
        payload = signing.loads(cursor, salt=SALT)
    except signing.BadSignature:
        raise _refused("not a cursor of ours (or altered)") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("c"), str):
        raise _refused("not a cursor of ours")
    if payload.get("s") != scope.digest():
        raise _refused("a cursor of another list or another deployment")
    inner: str = payload["c"]
    return inner


def _refused(why: str) -> DataError:
    return DataError(
        INVALID_INPUT,
        f"page cursor refused: {why}",
        user_message="This link to a page of a list is no longer valid. Start from the first page.",
        field="cursor",
    )
