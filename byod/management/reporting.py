"""What the management commands share: finding users and their connections, a progress bar,
plain-text tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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
    """`[#####.....] 5/10 done, <extra>`: redrawn in place on a terminal, else a line per tenth."""

    WIDTH = 30

    def __init__(self, out: OutputWrapper, total: int) -> None:
        self.out = out
        self.total = max(1, total)
        self.tty = out.isatty()
        self._last_tenth = -1
        self.show(0)

    def show(self, done: int, extra: str = "") -> None:
        filled = int(self.WIDTH * done / self.total)
        text = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{self.total} done"
        if extra:
            text += f", {extra}"
        if self.tty:
            self.out.write("\r" + text, ending="")
            self.out.flush()
        elif done == self.total or done * 10 // self.total != self._last_tenth:
            # Not a terminal: one line per tenth, so logs stay readable.
            self._last_tenth = done * 10 // self.total
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
