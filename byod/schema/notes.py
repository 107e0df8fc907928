"""A version's notes, in two voices: what operators read and what users read.

`operator` says what changed in the package (functions, tables, fields, fixes to the seed
spec); `user` says what the version means for a user's content, in plain words. Users see only
the `user` notes (the settings page, mails); operators see both (the admin, the commands).
A user note never carries developer words: a function path ("migrations:runBatch"), a field or
table name as code ("isArchived", "byod_meta", "conversations.isPinned"), a file path, a seed
number or a backtick. `byod_schema check` refuses one that does (`developer_words`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class VersionNotes:
    """One version's notes: `operator` for the admin and the commands, `user` for users."""

    operator: str
    user: str


_DEVELOPER = [
    (re.compile(r"\b\w+:\w+"), "a function path"),
    (re.compile(r"\bseeds?\b", re.I), "the seed spec"),
    (re.compile(r"[\w.-]*/[\w./-]+|\b\w+\.(?:py|ts|js|json|md)\b"), "a file path"),
    (re.compile(r"\b[a-z]+[A-Z]\w*"), "a name as code"),
    (re.compile(r"\b[a-z0-9]+_\w+"), "a name as code"),
    (re.compile(r"\b[a-z]\w*\.[a-z]\w*"), "a dotted name"),
    (re.compile(r"`"), "a backtick"),
]


def developer_words(text: str) -> list[str]:
    """The developer words in `text`, each with what it is ("migrations:runBatch (a function
    path)"); empty for a note users may read."""
    found = []
    for pattern, what in _DEVELOPER:
        found += [f"{m.group(0)!r} ({what})" for m in pattern.finditer(text)]
    return found


def problems(notes: dict[int, VersionNotes], current_version: int) -> list[str]:
    """Versions without both voices, beyond the current one, or with developer words in what
    users read."""
    found = []
    for version in range(1, current_version + 1):
        entry = notes.get(version)
        if entry is None or not entry.operator.strip():
            found.append(
                f"version {version} has no CHANGELOG entry (operator notes) in "
                "byod/package/version.py."
            )
        if entry is not None and not entry.user.strip():
            found.append(f"version {version} has no user notes in byod/package/version.py.")
        elif entry is not None and (words := developer_words(entry.user)):
            found.append(
                f"version {version}'s user notes carry developer words: {', '.join(words)}; "
                "say what it means for a user, in plain words (the operator notes may name them)."
            )
    for version in notes:
        if version > current_version:
            found.append(f"CHANGELOG has version {version} > CURRENT_VERSION {current_version}.")
    return found
