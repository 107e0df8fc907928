"""The engine of a move: one owner's documents between two deployments, batch by batch.

Every call is one or two function calls of the package's move functions (v4, `data/<table>:
exportPage | copiesPage | importBatch | fixReferences | removeBatch | foreign` and
`moves:forget`), and each is safe to repeat:

- a copy batch reads a page of the owner's documents on the source and imports it on the
  destination; the destination's id map (`byodIdMap`) skips what it already holds, so a batch
  sent again after a crash (a new operation id) or after a lost answer (the same one, tried
  again here) writes nothing twice;
- references are remapped through the map (tables are copied parents first); one whose target
  is not copied yet (a self reference) is set by the second pass, `fix_batch`;
- digests read the destination's copies back through the id map, as source ids, so both sides
  hash the same.

Queries and mutations are tried again, as the data plane does (`byod.data.ops`), when the
deployment said "not now" or the connection dropped; other errors are raised as they are
(`ConvexError` with its category) for the job to record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any, Literal, TypeVar

from byod.client import ConvexClient
from byod.data.ops import RETRIED, new_op_id, with_retries
from byod.errors import ANSWER_TOO_LARGE, INVALID_ARGUMENT, PROTOCOL_ERROR, ConvexError
from byod.package import get_schema
from byod.schema.data_functions import blob_fields, move_order
from byod.services.moves.digests import Accumulator, Digest

__all__ = ["Digest", "Interrupted", "Side", "Transfer"]

Side = Literal["source", "destination"]
T = TypeVar("T")

MAX_ITEMS = 1000  # convex/dataMoves.ts MAX_MOVE_ITEMS
# A count reads whole documents on the server: a page over 16 MiB read is asked again smaller.
COUNT_PAGE = MAX_ITEMS
FORGET_PAGE = 1000
MAX_BATCH_QUERIES = 64  # byod.client.function_api.MAX_BATCH


class Interrupted(Exception):
    """Raised by a caller's callback (`each_page`, `each_round`) to stop a long read."""


class Transfer:
    """One owner's documents between two deployments (clients made by the caller with
    Purpose.DATA_WORKER). Every call is idempotent: repeating a batch after a crash or a lost
    answer writes nothing twice (the destination's id map says what is already copied)."""

    def __init__(
        self,
        *,
        source: ConvexClient,
        destination: ConvexClient | None,
        owner: str,
        move_id: str,
        batch: int = 200,
    ) -> None:
        if not 0 < batch <= MAX_ITEMS:
            raise ValueError(f"batch is 1 to {MAX_ITEMS}, not {batch}")
        self.source = source
        self.destination = destination
        self.owner = owner
        self.move_id = move_id
        self.batch = batch
        self._tables = move_order(get_schema())
        # Where removeBatch of a parent-owned table goes on (parents already emptied of it);
        # lost with the object, which costs a rescan, never a document.
        self._remove_cursors: dict[tuple[str, Side], str] = {}
        # Pages of a table that were too large to read, and batches too large to write in one
        # transaction, are asked for (sent) smaller from then on.
        self._page_limits: dict[tuple[str, str], int] = {}
        self._import_limits: dict[str, int] = {}

    def tables(self) -> list[str]:
        """The owned tables, parents first (each after every table it references)."""
        return list(self._tables)

    def count(self, table: str, side: Side = "source") -> int:
        """How many of the owner's documents of `table` the side holds."""
        return self.counts([table], side)[table]

    def counts(
        self,
        tables: list[str],
        side: Side = "source",
        *,
        each_round: Callable[[], None] | None = None,
        on_counted: Callable[[str, int], None] | None = None,
    ) -> dict[str, int]:
        """How many of the owner's documents of each table the side holds. The tables are
        counted together: each round trip asks every table not counted yet for its next page
        (one query batch), so empty tables cost one request in all. `on_counted(table, count)`
        is told each table's count as soon as it is known."""
        totals = dict.fromkeys(tables, 0)

        def add(table: str, page: dict[str, Any]) -> None:
            totals[table] += _int(page.get("count"), "count")
            if on_counted is not None and _next(page) is None:
                on_counted(table, totals[table])

        self._rounds(side, tables, COUNT_PAGE, add, each_round)
        return totals

    def foreign_documents(self) -> bool:
        """Whether the destination holds a document of another owner in one of our tables."""
        client = self._client("destination")
        queries = [(self._path(t, "foreign"), {"owner": self.owner}) for t in self._tables]
        for start in range(0, len(queries), MAX_BATCH_QUERIES):
            chunk = queries[start : start + MAX_BATCH_QUERIES]
            results = self._retry(partial(client.query_batch, chunk))
            for result in results:
                if result.error is not None:
                    raise result.error
                if result.value is True:
                    return True
        return False

    def blob_documents(self) -> int:
        """How many of the owner's documents on the source name a file's blob (`_storage`):
        blobs do not move with their documents (yet), so a caller refuses such a move."""
        blobs = blob_fields(get_schema())
        held = self.counts(list(blobs))  # most users hold no file: one request says so
        found = 0
        for table, fields in blobs.items():
            if not held[table]:
                continue
            cursor: str | None = None
            while True:
                page = self._export("source", table, cursor, self.batch)
                found += sum(1 for d in page["page"] if any(d.get(f) for f in fields))
                cursor = _next(page)
                if cursor is None:
                    break
        return found

    def export_batch(self, table: str, cursor: str | None) -> tuple[list[Any], str | None]:
        """The next page of the owner's documents of `table` on the source after `cursor`, as
        stored there (ids and references as they are), and the cursor after it (None: done)."""
        page = self._export("source", table, cursor, self.batch)
        return list(page["page"]), _next(page)

    def copy_batch(self, table: str, cursor: str | None) -> tuple[str | None, int]:
        """Copies the next batch of `table` after `cursor` (None: from the start); returns the
        next cursor (None: the table is done) and how many documents were written now."""
        docs, following = self.read_batch(table, cursor)
        return following, self.write_batch(table, docs)

    def read_batch(self, table: str, cursor: str | None) -> tuple[list[Any], str | None]:
        """The first half of `copy_batch`, on the source only: the next batch of `table` after
        `cursor` and the cursor after it (None: the last). The job reads the next batch while
        this one is written (source and destination are different clients)."""
        page = self._export("source", table, cursor, self.batch)
        return page["page"], _next(page)

    def write_batch(self, table: str, docs: list[Any]) -> int:
        """The second half of `copy_batch`, on the destination only: imports `docs` (a batch
        `read_batch` returned); how many documents were written now."""
        written = start = 0
        while start < len(docs):  # in the largest batches known to fit (the limit may shrink)
            size = self._import_limits.get(table, len(docs))
            written += self._import(table, docs[start : start + size])
            start += size
        return written

    def fix_batch(self, table: str, cursor: str | None) -> tuple[str | None, int]:
        """Sets the references of the next batch of copied documents whose targets were
        copied after them; returns the next cursor (None: done) and how many were fixed."""
        client = self._client("destination")
        args = {"owner": self.owner, "moveId": self.move_id, "cursor": cursor}
        answer = self._retry(
            lambda: client.mutation(
                self._path(table, "fixReferences"), {**args, "numItems": self.batch}
            )
        )
        fixed = _int(_field(answer, "fixed"), "fixed")
        return _next(answer), fixed

    def digest(
        self, table: str, side: Side, *, each_page: Callable[[], None] | None = None
    ) -> Digest:
        """Count and hash of the owner's documents of `table` on `side`, references written
        as source ids: the source's as they are (exportPage), the destination's copies
        through the move's id map (copiesPage). `each_page` is called before each page is
        read (it may raise `Interrupted` to stop)."""
        found = Accumulator()
        cursor: str | None = None
        mapped = {"moveId": self.move_id}
        function, extra = ("copiesPage", mapped) if side == "destination" else ("exportPage", {})
        while True:
            if each_page is not None:
                each_page()
            page = self._export(side, table, cursor, self.batch, function=function, extra=extra)
            found.add(page["page"])
            cursor = _next(page)
            if cursor is None:
                return found.digest()

    def remove_batch(self, table: str, side: Side) -> int:
        """Removes up to `batch` of the owner's documents of `table` on `side`; 0 when none
        remain. Children before parents is the caller's order (reversed(tables()))."""
        key = (table, side)
        removed = self._remove(table, side, self._remove_cursors.pop(key, None))
        if removed is None:  # nothing after the cursor: look again from the start
            removed = self._remove(table, side, None)
        return removed or 0

    def forget(self) -> int:
        """Deletes the destination's id-map rows of this move; returns how many."""
        if self.destination is None:
            return 0
        client = self.destination
        args = {"moveId": self.move_id, "numItems": FORGET_PAGE}
        total = 0
        while True:
            answer = self._retry(lambda: client.mutation("moves:forget", args))
            removed = _int(_field(answer, "removed"), "removed")
            total += removed
            if removed < FORGET_PAGE:
                return total

    def _remove(self, table: str, side: Side, cursor: str | None) -> int | None:
        """One removeBatch; None when it removed nothing after a cursor (not yet proof that
        none remain)."""
        client = self._client(side)
        args: dict[str, Any] = {"owner": self.owner, "numItems": self.batch}
        if cursor is not None:
            args["cursor"] = cursor
        answer = self._retry(lambda: client.mutation(self._path(table, "removeBatch"), args))
        removed = _int(_field(answer, "removed"), "removed")
        following = _next(answer)
        if following is not None:
            self._remove_cursors[(table, side)] = following
        if removed == 0 and cursor is not None:
            return None
        return removed

    def _rounds(
        self,
        side: Side,
        tables: list[str],
        num_items: int,
        on_page: Callable[[str, dict[str, Any]], None],
        each_round: Callable[[], None] | None = None,
    ) -> None:
        """Count-only pages of several tables, read together: each round trip is one query
        batch asking every unfinished table for its next page; `on_page(table, answer)` is
        told each. A table whose page was too large is asked again, smaller, next round."""
        client = self._client(side)
        cursors: dict[str, str | None] = dict.fromkeys(tables)
        while cursors:
            chunk = list(cursors)[:MAX_BATCH_QUERIES]
            limits = [
                min(num_items, self._page_limits.get(("exportPage", t), num_items)) for t in chunk
            ]
            queries: list[tuple[str, dict[str, Any] | None]] = [
                (
                    self._path(table, "exportPage"),
                    {"owner": self.owner, "cursor": cursors[table], "countOnly": True,
                     "numItems": limit},
                )
                for table, limit in zip(chunk, limits, strict=True)
            ]  # fmt: skip
            results = self._retry(partial(client.query_batch, queries))
            for table, limit, result in zip(chunk, limits, results, strict=True):
                if result.error is not None:
                    if limit > 1 and _too_large(result.error):
                        self._page_limits[("exportPage", table)] = limit // 2
                        continue
                    raise result.error
                answer = _page("exportPage", table, result.value)
                on_page(table, answer)
                following = _next(answer)
                if following is None:
                    del cursors[table]
                else:
                    cursors[table] = following
            if each_round is not None:
                each_round()

    def _export(
        self,
        side: Side,
        table: str,
        cursor: str | None,
        num_items: int,
        *,
        function: str = "exportPage",
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One exportPage (or another paging function, with its `extra` arguments); a page too
        large to read or answer is asked again in halves."""
        client = self._client(side)
        args: dict[str, Any] = {"owner": self.owner, "cursor": cursor, **(extra or {})}
        limit = (function, table)
        num_items = min(num_items, self._page_limits.get(limit, num_items))
        while True:
            try:
                path, page_args = self._path(table, function), {**args, "numItems": num_items}
                answer = self._retry(partial(client.query, path, page_args))
            except ConvexError as error:
                if num_items > 1 and _too_large(error):
                    num_items //= 2
                    self._page_limits[limit] = num_items  # the next pages start there
                    continue
                raise
            return _page(function, table, answer)

    def _import(self, table: str, docs: list[Any]) -> int:
        """Imports `docs` (one operation id, the same on every try); a batch too large for one
        transaction (which wrote nothing) is sent again in halves, and the table's next
        batches at the size that fit."""
        client = self._client("destination")
        op_id = new_op_id()
        args = {"owner": self.owner, "opId": op_id, "moveId": self.move_id, "docs": docs}
        try:
            answer = self._retry(lambda: client.mutation(self._path(table, "importBatch"), args))
        except ConvexError as error:
            if len(docs) > 1 and _too_large(error):
                half = len(docs) // 2
                self._import_limits[table] = min(half, self._import_limits.get(table, half))
                return self.write_batch(table, docs)
            raise
        return _int(_field(answer, "written"), "written")

    def _client(self, side: Side) -> ConvexClient:
        if side == "source":
            return self.source
        if self.destination is None:
            raise ValueError("this transfer has no destination")
        return self.destination

    def _path(self, table: str, function: str) -> str:
        if table not in self._tables:
            raise ValueError(f"{table!r} is not an owned table")
        return f"data/{table}:{function}"

    @staticmethod
    def _retry(attempt: Callable[[], T]) -> T:
        return with_retries(attempt, deadline=None)


# Convex's words for a transaction over its limits (reads, bytes, writes) or arguments too big.
_OVER_LIMITS = re.compile(
    r"too many (?:documents|bytes|reads|writes)|too (?:large|big)", re.IGNORECASE
)


def _too_large(error: ConvexError) -> bool:
    """Whether a smaller page or batch could succeed where this one failed."""
    if error.category == ANSWER_TOO_LARGE:
        return True
    if error.category in RETRIED or error.category == INVALID_ARGUMENT:
        return False
    return _OVER_LIMITS.search(str(error)) is not None


def _page(function: str, table: str, answer: Any) -> dict[str, Any]:
    """A paging function's answer, checked to hold a page."""
    if not isinstance(answer, dict) or not isinstance(answer.get("page"), list):
        raise ConvexError(PROTOCOL_ERROR, f"{table}: {function} answered no page")
    return answer


def _next(answer: dict[str, Any]) -> str | None:
    """The cursor after a page (None: the last page)."""
    done, cursor = answer.get("isDone"), answer.get("continueCursor")
    if not isinstance(done, bool) or not (done or isinstance(cursor, str)):
        raise ConvexError(PROTOCOL_ERROR, "a page answer without isDone or its cursor")
    return None if done else cursor


def _field(answer: Any, name: str) -> Any:
    if not isinstance(answer, dict) or name not in answer:
        raise ConvexError(PROTOCOL_ERROR, f"answer without {name}")
    return answer[name]


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ConvexError(PROTOCOL_ERROR, f"{name}: not a whole number")
    if value < 0:
        raise ConvexError(PROTOCOL_ERROR, f"{name}: negative")
    return int(value)
