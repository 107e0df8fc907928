"""A move's phases, run by one worker holding the move and the leases of its connections.

In and back: preflight (the destination holds no other owner's content; the user holds no
uploaded file, whose blob cannot move yet) -> freeze (the user's
writes are refused from now on; reads go on from the source) -> settle (a request that read
the location before the freeze may still write, for at most its data budget) -> clear what an
earlier, unfinished move left at the destination -> copy every table, parents first, in
batches, while another thread counts the source (`counting`) -> fix the references to
documents copied later -> verify (per table, count and digest of the copies read back equal
the source's; several tables at once) -> done, which flips the location in the same
transaction. Delete: freeze -> settle -> count -> remove children first until every table
counts zero -> done.

Every step is resumable: progress is saved per table after each batch (`Move.tables`), a batch
sent twice writes nothing twice (`Transfer`), and a phase finished is not run again. Every save
is conditional on the move still being this worker's (`MoveStopped` otherwise: cancelled or
taken over), and the leases are renewed between batches.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict
from typing import Any

from django.db import transaction

from byod import transitions
from byod.conf import conf
from byod.errors import BLOBS_NOT_MOVED, FOREIGN_CONTENT, MOVE_MISMATCH, ByodError
from byod.models import Move, MoveDirection, MovePhase
from byod.package import get_schema
from byod.schema.data_functions import late_references
from byod.services.deploys.lease import Lease
from byod.services.moves import switching
from byod.services.moves.counting import WAIT_STEP_SECONDS, Counting
from byod.services.moves.digests import ZERO, Accumulator, Digest
from byod.services.moves.late import LateReferences
from byod.services.moves.transfer import Interrupted, Transfer

SETTLE_STEP_SECONDS = 0.5
VERIFY_READERS = 4  # tables read back at once, each by a thread of its own


def settle_seconds() -> float:
    """How long after the freeze copying waits: a web request's whole data budget, unless set."""
    configured = conf()
    if configured.moves.settle_seconds >= 0:
        return configured.moves.settle_seconds
    web = configured.calls.data_web
    return web.total if web.total is not None else web.call


class Phases:
    """One attempt at a move's remaining phases."""

    def __init__(
        self,
        move: Move,
        transfer: Transfer,
        leases: list[Lease],
        progress: Callable[[Move], None] | None = None,
    ) -> None:
        self.move = move
        self.transfer = transfer
        self.leases = leases
        self.progress = progress

    def run(self) -> None:
        tables = self.transfer.tables()
        if self.move.direction == MoveDirection.DELETE:
            self._freeze(check_destination=False)
            if uncounted := self._uncounted(tables):
                self._learn(self.transfer.counts(uncounted, each_round=self._keep_alive))
            self._save(MovePhase.REMOVING)
            self._remove(tables)
            transitions.move_verifying(self.move)
            self._check_empty(tables)
        else:
            # The main deployment holds every other user's content: only a user's own
            # deployment must hold nobody else's.
            destination = self.move.destination
            self._freeze(check_destination=destination is not None and not destination.is_main)
            # The source is counted by a thread of its own while the copy goes on.
            with Counting(self.transfer, self._uncounted(tables)) as counting:
                self._clear(tables)
                self._copy(tables, counting)
                self._fix(tables)
                self._learn(counting.all(self._keep_alive))
            transitions.move_verifying(self.move)
            self._verify(tables)
        with transaction.atomic():  # new credentials waiting for it: applied with the flip
            transitions.move_done(self.move, keep_days=conf().moves.keep_days)
            switching.finish(self.move)
        self._tell()

    # --- phases --------------------------------------------------------------------------------

    def _freeze(self, *, check_destination: bool) -> None:
        if self.move.frozen_at is None:
            self._save(MovePhase.PREFLIGHT)
            if check_destination and self.transfer.foreign_documents():
                raise ByodError(
                    FOREIGN_CONTENT, f"move {self.move.pk}: the destination holds another owner's"
                )
            if self.move.direction != MoveDirection.DELETE and (
                blobs := self.transfer.blob_documents()
            ):
                # A blob's id belongs to its deployment: a copy through functions cannot carry
                # it, so a user holding files is refused rather than moved without them.
                raise ByodError(
                    BLOBS_NOT_MOVED, f"move {self.move.pk}: {blobs} documents name a blob"
                )
            transitions.move_frozen(self.move)
        assert self.move.frozen_at is not None
        until = self.move.frozen_at.timestamp() + settle_seconds()
        while (left := until - time.time()) > 0:
            time.sleep(min(left, SETTLE_STEP_SECONDS))
            self._keep_alive()

    def _uncounted(self, tables: list[str]) -> list[str]:
        return [t for t in tables if "source_count" not in self.move.tables.get(t, {})]

    def _learn(self, counted: dict[str, int]) -> None:
        """Keeps the source's counts learnt so far (saved with the next progress)."""
        for table, count in counted.items():
            self.move.table_state(table)["source_count"] = count

    def _clear(self, tables: list[str]) -> None:
        """Removes what the destination holds of this owner: what an earlier move that did not
        end left there (or the copy kept after an older move). The content's real copy is the
        source, which stays the location until this move flips it. Done once, before the
        first batch is copied: marked `cleared` per table (a move saved by an older worker,
        which counted before it cleared, says so by its counts)."""
        states = [self.move.table_state(t) for t in tables]
        if all(s.get("cleared") or "source_count" in s for s in states):
            return
        held = self.transfer.counts(tables, "destination", each_round=self._keep_alive)
        if any(held.values()):
            self._save(MovePhase.CLEARING)
        for table in reversed(tables):
            while held[table] and self.transfer.remove_batch(table, "destination"):
                self._keep_alive()
        for state in states:
            state["cleared"] = True
        self._save(MovePhase.COPYING)

    def _copy(self, tables: list[str], counting: Counting) -> None:
        # The next batch is read from the source while this one is written to the destination
        # (two clients, one request each at a time); progress is saved here, after each write,
        # so a batch read ahead and never written is read again by the next attempt. The
        # source's digest is summed from the batches written (the source is frozen): saved
        # with the cursor, it goes on from there after a crash. The counts arrive meanwhile:
        # the first round says which tables the source holds none of.
        late = late_references(get_schema())
        self._learn(counting.after_first_round(self._keep_alive))
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="move-read") as ahead:
            for table in tables:
                state = self.move.table_state(table)
                if state.get("copy_done"):
                    continue
                fresh = state.get("cursor") is None
                watch = LateReferences(table, late.get(table, {}), resumed=not fresh)
                summed = _saved_digest(state) if not fresh else Digest(0, ZERO)
                digest = Accumulator(summed) if summed is not None else None
                docs: list[Any] = []
                cursor: str | None = None
                # A table the source holds none of (counted after the freeze) is not read.
                if state.get("source_count") != 0:
                    docs, cursor = self.transfer.read_batch(table, state.get("cursor"))
                while True:
                    following = (
                        ahead.submit(self.transfer.read_batch, table, cursor)
                        if cursor is not None
                        else None
                    )
                    written = self.transfer.write_batch(table, docs)
                    watch.add(docs)
                    if digest is not None:
                        digest.add(docs)
                        state["source_digest"] = asdict(digest.digest())
                    state["copied"] = int(state.get("copied") or 0) + written
                    state["cursor"] = cursor
                    state["copy_done"] = cursor is None
                    state["needs_fix"] = bool(state.get("needs_fix")) or watch.pending
                    self._learn(counting.counted())
                    self._save(MovePhase.COPYING, table)
                    if following is None:
                        break
                    docs, cursor = following.result()

    def _fix(self, tables: list[str]) -> None:
        for table in tables:
            state = self.move.table_state(table)
            # A copy saved before the job watched its references: fixed as before.
            needed = state.get("needs_fix", True) and state.get("source_count") != 0
            while needed and not state.get("fix_done"):
                cursor, fixed = self.transfer.fix_batch(table, state.get("fix_cursor"))
                state["fixed"] = int(state.get("fixed") or 0) + fixed
                state["fix_cursor"] = cursor
                state["fix_done"] = cursor is None
                self._save(MovePhase.FIXING, table)
            state["fix_done"] = True

    def _verify(self, tables: list[str]) -> None:
        # A table the source holds none of is checked empty on the destination, all such
        # tables in one round trip. The others are read back, several at once (a thread each,
        # reading its table a page at a time), and compared with the source's digest summed
        # while copying (for a copy saved without it, the same thread reads the source too).
        states = {t: self.move.table_state(t) for t in tables}
        unverified = [t for t in tables if not states[t].get("verified")]
        empty = [t for t in unverified if not _expected(states[t])]
        held = self.transfer.counts(empty, "destination", each_round=self._keep_alive)
        for table in empty:
            if held[table]:
                raise ByodError(
                    MOVE_MISMATCH,
                    f"move {self.move.pk}, table {table}: the source holds none, the "
                    f"destination {held[table]}",
                    table=table,
                )
            self._verified(table, Digest(0, ZERO), Digest(0, ZERO))
        stop = threading.Event()
        with ThreadPoolExecutor(VERIFY_READERS, thread_name_prefix="move-verify") as readers:
            reading = {
                readers.submit(self._read_back, t, _saved_digest(states[t]), stop): t
                for t in unverified
                if t not in held
            }
            try:
                while reading:
                    done, _ = wait(reading, timeout=WAIT_STEP_SECONDS, return_when=FIRST_COMPLETED)
                    self._keep_alive()
                    for future in done:
                        self._verified(reading.pop(future), *future.result())
            finally:  # a mismatch or a failure: the other tables' readers stop at their next page
                stop.set()

    def _read_back(
        self, table: str, saved: Digest | None, stop: threading.Event
    ) -> tuple[Digest, Digest]:
        """The source's digest of `table` (`saved`, or read again) and the destination's: on
        a reader thread, which only calls the deployments."""

        def go_on() -> None:
            if stop.is_set():
                raise Interrupted

        copied = self.transfer.digest(table, "destination", each_page=go_on)
        source = (
            saved if saved is not None else self.transfer.digest(table, "source", each_page=go_on)
        )
        return source, copied

    def _verified(self, table: str, source: Digest, copied: Digest) -> None:
        state = self.move.table_state(table)
        expected = _expected(state)
        if source != copied or source.count != expected:
            raise ByodError(
                MOVE_MISMATCH,
                f"move {self.move.pk}, table {table}: source {source.count} of {expected} "
                f"documents ({source.sha256[:12]}), destination {copied.count} "
                f"({copied.sha256[:12]})",
                table=table,
            )
        state.update(verified=True, verified_count=source.count, digest=source.sha256)
        self._save(MovePhase.VERIFYING, table)

    def _remove(self, tables: list[str]) -> None:
        for table in reversed(tables):  # children first: no reference is left dangling
            state = self.move.table_state(table)
            while removed := self.transfer.remove_batch(table, "source"):
                state["removed"] = int(state.get("removed") or 0) + removed
                self._save(MovePhase.REMOVING, table)

    def _check_empty(self, tables: list[str]) -> None:
        left = self.transfer.counts(tables, each_round=self._keep_alive)
        for table in tables:
            if left[table]:
                raise ByodError(
                    MOVE_MISMATCH,
                    f"move {self.move.pk}: {left[table]} documents left in {table}",
                    table=table,
                )
            self.move.table_state(table)["verified"] = True
        self._save(MovePhase.VERIFYING)

    # --- helpers -------------------------------------------------------------------------------

    def _save(self, phase: str, table: str = "") -> None:
        """Progress, fenced: raises MoveStopped when the move is no longer ours."""
        self._keep_alive()
        transitions.save_move_progress(self.move, phase=phase, table=table)
        self._tell()

    def _keep_alive(self) -> None:
        for held in self.leases:
            held.keep_alive()

    def _tell(self) -> None:
        if self.progress is not None:
            self.progress(self.move)


def _expected(state: dict[str, Any]) -> int:
    """How many documents of the table the source held when the move froze it."""
    return int(state.get("source_count") or 0)


def _saved_digest(state: dict[str, Any]) -> Digest | None:
    """The source's digest summed while copying, as saved with the table's progress."""
    saved = state.get("source_digest")
    if not isinstance(saved, dict):
        return None
    return Digest(count=int(saved["count"]), sha256=str(saved["sha256"]))
