"""What the settings page says about a move of the user's content: its progress while it runs
("Moving your data: messages, 4,200 of 10,000", per table from `Move.tables`), then its result
(done: where the content is now; failed: the category's words and what to do; waiting: why, and
that it tries again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from byod.models import Move, MoveDirection, MoveStatus
from byod.views import words

# A finished move's result stays on the page this long.
RESULT_FOR = timedelta(days=1)

VERB = {
    MoveDirection.IN: "Moving your data",
    MoveDirection.BACK: "Moving your data back",
    MoveDirection.DELETE: "Deleting your data in your deployment",
}


@dataclass(frozen=True)
class TableLine:
    table: str
    done: int
    total: int | None  # None: not counted yet (the copy goes on while the source is counted)

    @property
    def text(self) -> str:
        if self.total is None:
            return f"{self.table}, {self.done:,} (counting)"
        return f"{self.table}, {self.done:,} of {self.total:,}"


@dataclass(frozen=True)
class MoveView:
    move: Move

    @property
    def status(self) -> str:
        return str(self.move.status)

    @property
    def running(self) -> bool:
        return not self.move.is_finished

    @property
    def disconnecting(self) -> bool:
        return self.move.disconnect_after

    @property
    def own_name(self) -> str:
        own = self.move.own_connection
        return own.deployment_name or own.url

    @property
    def lines(self) -> list[TableLine]:
        """One line per table holding something to move (or moved), in the order moved."""
        key = "removed" if self.move.direction == MoveDirection.DELETE else "copied"
        found = []
        for table, state in self.move.tables.items():
            done = int(state.get(key) or 0)
            total = int(state["source_count"]) if "source_count" in state else None
            if done or total:  # a table with nothing in it (or nothing counted yet) says nothing
                found.append(TableLine(table, min(done, total) if total else done, total))
        return found

    @property
    def switching(self) -> bool:
        """A move back on the way to another deployment of the user's (new credentials)."""
        m = self.move
        return bool(m.switch_url) or (bool(m.source_url) and m.source.url != m.source_url)

    @property
    def headline(self) -> str:
        """ "Moving your data: messages, 4,200 of 10,000" (the table it works on), or the phase."""
        verb = VERB[MoveDirection(self.move.direction)]
        if self.switching:
            verb = "Moving your data to your new deployment (step 1 of 2, by the main deployment)"
        current = next((t for t in self.lines if t.table == self.move.phase_table), None)
        if current is not None and current.total:
            return f"{verb}: {current.text}"
        return f"{verb}: {self.move.get_phase_display()}"

    @property
    def percent(self) -> int | None:
        done, total = self.move.totals()
        return min(100, round(100 * done / total)) if total else None

    @property
    def retry_at(self) -> datetime | None:
        return self.move.next_attempt_at if self.status == MoveStatus.WAITING else None

    @property
    def error_title(self) -> str:
        return words.error_title(self.move.error_category) if self.move.error_category else ""

    @property
    def error_message(self) -> str:
        return words.after_title(self.error_title, self.move.error_message or "")

    @property
    def result(self) -> str:
        """Where the content is now, in one sentence."""
        m, status = self.move, self.status
        if status == MoveStatus.DONE:
            if m.direction == MoveDirection.IN:
                return f"Your content is in your deployment {self.own_name} now."
            if m.direction == MoveDirection.BACK and self.switching:
                return (
                    "Step 1 of 2 is done: your content is in the main deployment. It moves into "
                    "your new deployment once our schema is deployed there."
                )
            if m.direction == MoveDirection.BACK and self.disconnecting:
                return (
                    "Your content is in the main deployment again. The copy in your deployment"
                    " stays there: we erased its key, so only you can remove it."
                )
            if m.direction == MoveDirection.BACK:
                return "Your content is in the main deployment again."
            return f"Our documents in {self.own_name} are deleted: none is left."
        where = "in the main deployment" if m.direction == MoveDirection.IN else "where it was"
        if status == MoveStatus.CANCELLED:
            return f"The move was given up. Your content stays {where}."
        if status == MoveStatus.FAILED:
            return f"Your content stays {where}, and you can change it again."
        return ""

    @property
    def next_step(self) -> str:
        if self.status != MoveStatus.FAILED:
            return ""
        if self.disconnecting:
            return (
                "Your deployment is still connected and its key kept. Once the problem above "
                "is fixed, choose again under Disconnect, or keep your content where it is."
            )
        return "Once the problem above is fixed, you can ask for the move again."

    @property
    def kept_until(self) -> datetime | None:
        # After a disconnect we hold no key to the old copy: it is not ours to keep or purge.
        if self.status != MoveStatus.DONE or self.disconnecting:
            return None
        return self.move.purge_after


def move_for(user_id: int) -> MoveView | None:
    """The move the page talks about: the one under way, else a recent one's result."""
    latest = Move.objects.select_related("source", "destination").filter(user_id=user_id).first()
    if latest is None:
        return None
    if latest.is_finished and (
        latest.ended_at is None or timezone.now() - latest.ended_at > RESULT_FOR
    ):
        return None
    return MoveView(latest)
