"""Counting the source while the copy goes on.

The source is frozen before it is counted, so its counts cannot change: the copy need not
wait for them. One thread counts the tables (`Transfer.counts`: a query batch per round, every
table not counted yet asking for its next page) while the job clears the destination and
copies. The copy waits only for the first round, which tells the tables the source holds none
of (never read) and counts every small table; the job saves each count as it learns it, and the
settings page shows "messages, 4,200 of 10,000" from then on. Verification waits for all of
them: each table's copy must hold as many documents as the source held when it was frozen.

The thread only calls the source's functions; the job's own thread saves what it learns (our
database is never used from here).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from types import TracebackType

from byod.services.moves.transfer import Interrupted, Transfer

WAIT_STEP_SECONDS = 1.0  # the job's leases are renewed this often while it waits for counts


class Counting:
    """The source's counts of `tables`, taken by a thread of its own from now on. Use as a
    context manager: leaving it stops the thread after its round under way."""

    def __init__(self, transfer: Transfer, tables: list[str]) -> None:
        self._lock = threading.Lock()
        self._counted: dict[str, int] = {}
        self._first_round = threading.Event()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="move-count")
        self._future = self._pool.submit(self._count, transfer, tables)

    def __enter__(self) -> Counting:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True)

    def counted(self) -> dict[str, int]:
        """The tables counted so far, with their counts; raises what the counting raised."""
        if self._future.done():
            self._future.result()
        with self._lock:
            return dict(self._counted)

    def after_first_round(self, keep_alive: Callable[[], None]) -> dict[str, int]:
        """`counted()` once the first round is in: a table missing from it holds more than a
        page at the source. `keep_alive` is called while waiting (the job's leases)."""
        while not self._first_round.wait(WAIT_STEP_SECONDS):
            keep_alive()
        return self.counted()

    def all(self, keep_alive: Callable[[], None]) -> dict[str, int]:
        """Every table's count, once all are counted; raises what the counting raised."""
        while not self._future.done():
            wait([self._future], timeout=WAIT_STEP_SECONDS)
            keep_alive()
        return self.counted()

    def _count(self, transfer: Transfer, tables: list[str]) -> None:
        try:
            transfer.counts(tables, each_round=self._round, on_counted=self._learn)
        except Interrupted:
            pass
        finally:
            self._first_round.set()  # nobody waits for a round that will never come

    def _learn(self, table: str, count: int) -> None:
        with self._lock:
            self._counted[table] = count

    def _round(self) -> None:
        self._first_round.set()
        if self._stop.is_set():
            raise Interrupted
