"""What the management commands share: finding users and their connections, a progress bar,
plain-text tables, text cut at a word, log lines held until the report is written."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.core.management.base import CommandError, OutputWrapper

from accounts.models import User, user_named
from byod.models import Connection, ConnectionQuerySet


def find_users(names: Iterable[str]) -> list[User]:
    """The users named by username or email, in order; CommandError for one that is unknown."""
    found = []
    for name in names:
        user = user_named(name)
        if user is None:
            raise CommandError(f"No user {name!r} (give a username or an email address).")
        found.append(user)
    return found


def select_connections(names: Sequence[str] | None, fleet: ConnectionQuerySet) -> list[Connection]:
    """The connection of each user in `names` (CommandError for one who has none), or, without
    names, every connection of `fleet` in pk order. `fleet` is already narrowed to what the
    command acts on (usable, outdated, due...)."""
    fleet = fleet.select_related("user")
    if not names:
        return list(fleet.order_by("pk"))
    found: list[Connection] = []
    for user in find_users(names):
        connection = fleet.filter(user=user).first()
        if connection is None:
            raise CommandError(f"User {user.get_username()!r} has no connected deployment.")
        found.append(connection)
    return found


class ProgressBar:
    """`[#####.....] 5/10 done, <extra>`: redrawn in place on a terminal, else a line per tenth
    (and, once all is done, per change of what follows: "verifying", "done"), never the same
    line twice."""

    WIDTH = 30

    def __init__(self, out: OutputWrapper, total: int) -> None:
        self.out = out
        self.total = max(1, total)
        self.tty = out.isatty()
        self._last_tenth = -1
        self._last_line = ""
        self._drawn = 0  # length of the line drawn last (a shorter one must cover it)
        self.show(0)

    def show(self, done: int, extra: str = "") -> None:
        filled = int(self.WIDTH * done / self.total)
        text = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{self.total} done"
        if extra:
            text += f", {extra}"
        if self.tty:
            # Redrawn over the last line: spaces cover what a shorter line would leave behind.
            self.out.write("\r" + text.ljust(self._drawn), ending="")
            self._drawn = len(text)
            self.out.flush()
        elif text != self._last_line and (
            done == self.total or done * 10 // self.total != self._last_tenth
        ):
            # Not a terminal: one line per tenth, so logs stay readable.
            self._last_tenth = done * 10 // self.total
            self._last_line = text
            self.out.write(text)

    def finish(self) -> None:
        if self.tty:
            self.out.write("")


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as aligned text lines; the last column is not padded."""
    if not rows:
        return []
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, str(row[-1])]).rstrip())
    return lines


def shorten(text: str, width: int) -> str:
    """`text` on one line, cut at a word boundary to at most `width` characters (with "…")."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    if " " in cut and not text[width - 1].isspace():
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


class _Held(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def logs_held(err: OutputWrapper) -> Iterator[None]:
    """Log lines do not run into the command's bar and table: while the block runs the root
    logger's handlers are set aside; afterwards, warnings and errors logged meanwhile are
    written to `err` after a heading (the rest is dropped: the report says what happened)."""
    root = logging.getLogger()
    saved = root.handlers[:]
    held = _Held()
    root.handlers = [held]
    try:
        yield
    finally:
        root.handlers = saved
    if held.records:
        err.write(f"Logged during the run ({len(held.records)}):")
        for record in held.records:
            err.write(f"  {record.levelname} {record.name}: {record.getMessage()}")


def ask(out: OutputWrapper, question: str) -> bool:
    """A y/N question on the terminal; True for "y" or "yes"."""
    answer = input(question).strip().lower()
    if not sys.stdin.isatty():  # a piped answer is not echoed: end the prompt's line
        out.write("")
    return answer in ("y", "yes")
