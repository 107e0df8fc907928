"""The data plane: a user's content read and written in the deployment that holds it.

    from byod.data import store_for, DataError

    store = store_for(user)                       # where the content is: never guessed
    page = store.conversations.page("by_user_last_message", order="desc", limit=20)
    new_id = store.notes.insert({"title": "Hi", "content": "...", ...})

Modules: `locations` (where content lives, and whether it can be reached now), `store` and
`repository` (the API), `tables` (the per-table types, generated from the schema), `codec`
and `refusals` (values to Convex's encoded JSON and back; what Convex would refuse, refused
before sending), `cursor` (signed page cursors), `ops` (operation ids, retries), `errors`.

It stands beside `byod.clients`, below the services: it imports the client, keys, models,
schema, package, the breaker's transition and the leaves, and nothing above them.
"""

from __future__ import annotations

from byod.client import Purpose
from byod.data.errors import DataError
from byod.data.locations import Location
from byod.data.repository import GetQuery, Page, PageQuery, Repository
from byod.data.store import Store, store_for
from byod.errors import (
    INVALID_ARGUMENT,
    MOVING,
    NOT_CONNECTED,
    NOT_FOUND,
    UNAVAILABLE_NOW,
    UPDATE_NEEDED,
    VALUE_REFUSED,
)
from byod.package.version import DATA_FUNCTIONS_SINCE

__all__ = [
    "DATA_FUNCTIONS_SINCE",
    "INVALID_ARGUMENT",
    "MOVING",
    "NOT_CONNECTED",
    "NOT_FOUND",
    "UNAVAILABLE_NOW",
    "UPDATE_NEEDED",
    "VALUE_REFUSED",
    "DataError",
    "GetQuery",
    "Location",
    "Page",
    "PageQuery",
    "Purpose",
    "Repository",
    "Store",
    "store_for",
]
