"""What the lint reports, and the identifier rule every name is held to."""

from __future__ import annotations

import re
from dataclasses import dataclass

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_IDENTIFIER = 64


@dataclass(frozen=True)
class Finding:
    """One lint problem: a stable `code`, where it is, and a message saying what to do."""

    code: str
    table: str
    message: str
    index: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.table
        if self.index:
            where += f".{self.index}"
        if self.field:
            where += f" ({self.field})"
        return f"{self.code} {where}: {self.message}"


def identifier_problem(name: str) -> str | None:
    """What is wrong with `name` as a Convex identifier (table, index, field), or None."""
    if not IDENTIFIER.match(name):
        return "must match [A-Za-z_][A-Za-z0-9_]*"
    if len(name) > MAX_IDENTIFIER:
        return f"is longer than {MAX_IDENTIFIER} characters"
    if set(name) == {"_"}:
        return "must not be all underscores"
    return None
