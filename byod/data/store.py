"""A user's content, wherever it lives: `store_for(user)` and the `Store` it returns.

    store = store_for(user)                  # one or two SQL queries, no call
    page = store.conversations.page("by_user_last_message", order="desc", limit=20)
    pages = store.snapshot({"pinned": ..., "recent": ...})   # one round trip

A store is one unit of work (a web request, a task step) of one user, used by one thread: it
resolves the location once, opens the deploy key at its first call (`byod.clients`), keeps one
client (the pooled connections are per destination and shared by the process, bounded by
`BYOD_CLIENT_DESTINATIONS`) and forgets the key when closed. Every operation goes through
`Store.run`: the location is checked first (not connected, update needed, unhealthy: a
DataError without calling; the main deployment's breaker lets one request try after a
cool-down), failures become DataErrors, those that say something about the deployment count
toward its health (`byod.transitions.breaker`), and each operation is counted
(`byod.metrics.data_operation`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from byod import metrics
from byod.client import ConvexClient, Purpose
from byod.client.budget import Budget
from byod.clients import client_for
from byod.data import locations
from byod.data.cursor import location_tag
from byod.data.errors import DataError
from byod.data.ops import with_retries
from byod.data.repository import GetQuery, PageQuery, Repository
from byod.data.tables import TABLES, Tables
from byod.errors import INVALID_ARGUMENT, TRANSIENT_DATABASE_ERRORS, UNAVAILABLE_NOW, ByodError
from byod.package import get_schema
from byod.schema.python_types import owner_field
from byod.transitions import breaker

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)
MAX_SNAPSHOT = 64  # queries in one batch (byod.client.function_api.MAX_BATCH)


def store_for(user: User, *, purpose: Purpose = Purpose.DATA_WEB) -> Store:
    """The store of `user`'s content. DataError(not_connected) when there is no place for it
    (no own deployment and no main one); other states of the location are raised by the
    first operation (or `Store.check`)."""
    return Store(user, locations.resolve(user), purpose)


class Store(Tables):
    """One user's content for one unit of work: a typed repository per table
    (`store.conversations`), `snapshot`, and the location it reads and writes."""

    def __init__(self, user: User, location: locations.Location, purpose: Purpose) -> None:
        self.user = user
        self.owner = str(user.external_id)
        self.location = location
        self.purpose = purpose
        connection = location.connection
        # Cursors are bound to this user's content at this location (byod.data.cursor).
        self.location_tag = location_tag(connection.pk, connection.url, self.owner)
        self._repositories: dict[str, Repository[Any, Any, Any]] = {}
        self._client: ConvexClient | None = None
        self._deadline: float | None = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the unit of work: the client forgets the key."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def repository(self, table: str) -> Repository[Any, Any, Any]:
        """The repository of `table` (an owned table of the package)."""
        found = self._repositories.get(table)
        if found is None:
            if table not in TABLES:
                raise DataError(INVALID_ARGUMENT, f"{table!r} is not a table of content")
            schema = get_schema()
            found = Repository(self, table, schema.tables[table], owner_field(schema, table))
            self._repositories[table] = found
        return found

    def check(self) -> None:
        """Raise the DataError that stops calls now, if any (no query, no call)."""
        locations.usable(self.location)

    def snapshot(self, queries: Mapping[str, PageQuery[Any] | GetQuery[Any]]) -> dict[str, Any]:
        """Several pages read at one snapshot in one round trip (`query_batch`), by name: a
        `Page` for each `page_query`, the document or None for each `get_query`."""
        if not 0 < len(queries) <= MAX_SNAPSHOT:
            raise DataError(INVALID_ARGUMENT, f"a snapshot reads 1 to {MAX_SNAPSHOT} pages")
        if any(q.repository.store is not self for q in queries.values()):
            raise DataError(INVALID_ARGUMENT, "a snapshot reads pages of its own store")

        def work() -> dict[str, Any]:
            batch = [(q.path, q.args) for q in queries.values()]
            results = self._retried(lambda: self._connected().query_batch(batch))
            pages = {}
            for (name, query), result in zip(queries.items(), results, strict=True):
                if result.error is not None:
                    raise result.error
                pages[name] = query.read(result.value)
            return pages

        return self.run("snapshot", work)

    # --- what repositories call ---------------------------------------------------------------

    def run[T](self, operation: str, work: Callable[[], T]) -> T:
        """`work()` after the location's check (or as the breaker's half-open trial); failures
        as DataErrors, counted."""
        category = ""
        trial = False
        try:
            trial = self._usable_or_trial()
            result = work()
            if trial:
                self._trial_ended(None)
            return result
        except ByodError as error:
            failure = DataError.of(error)
            category = failure.category
            if trial:
                self._trial_ended(failure)
            elif breaker.counts(failure):
                self._count_toward_health(failure)
            if failure is error:
                raise
            raise failure from error
        finally:
            metrics.data_operation(operation, self.purpose.value, category)

    def _usable_or_trial(self) -> bool:
        """Raise what stops calls now, unless this call is the breaker's trial (True)."""
        try:
            locations.usable(self.location)
        except DataError as closed:
            if closed.category != UNAVAILABLE_NOW or not breaker.may_try(self.location.connection):
                raise
            log.info("connection %s: half-open, one request tries", self.location.connection.pk)
            return True
        return False

    def _trial_ended(self, failure: DataError | None) -> None:
        """The trial's outcome toward health; our database away must not hide it (logged)."""
        try:
            breaker.trial_ended(self.location.connection, failure)
        except TRANSIENT_DATABASE_ERRORS:
            log.warning("could not record the outcome of a half-open trial", exc_info=True)

    def _count_toward_health(self, failure: DataError) -> None:
        """The breaker's record of a failure; our own database away for a moment must not
        hide the deployment's failure from the caller (it is logged)."""
        try:
            breaker.request_failed(self.location.connection, failure)
        except TRANSIENT_DATABASE_ERRORS:
            log.warning("could not record a failed request toward health", exc_info=True)

    def query(self, path: str, args: dict[str, Any]) -> Any:
        """A data function's query, retried when waiting can help."""
        return self._retried(lambda: self._connected().query(path, args))

    def mutation(self, path: str, args: dict[str, Any]) -> Any:
        """A data function's mutation (`args` hold its opId: every try sends the same);
        refused with `moving` while a move froze the content (nothing is sent)."""
        locations.refuse_writes(self.location)
        return self._retried(lambda: self._connected().mutation(path, args))

    def _retried[T](self, attempt: Callable[[], T]) -> T:
        return with_retries(attempt, deadline=self._deadline)

    def _connected(self) -> ConvexClient:
        if self._client is None:
            self._client = client_for(self.location.connection, purpose=self.purpose)
            total = Budget.of(self.purpose).total
            self._deadline = None if total is None else time.monotonic() + total
        return self._client
