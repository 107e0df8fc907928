"""The BYOD schema package: our content schema, its version and changelog.

`schema` is defined in Python (one module per table group); everything deployed is generated
from it (see byod/schema and `manage.py byod_build`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from byod.package import version

if TYPE_CHECKING:
    from byod.schema import Schema
    from byod.schema.history import History
    from byod.schema.notes import VersionNotes

__all__ = [
    "changelog",
    "current_version",
    "get_schema",
    "history_of",
    "schema_export",
    "user_notes",
    "version_notes",
]


def current_version() -> int:
    """The package version every connection should run: the one way to read it."""
    return version.CURRENT_VERSION


def version_notes() -> dict[int, VersionNotes]:
    """Each version's notes in both voices, by version (what `byod_schema check` holds)."""
    return version.CHANGELOG


def changelog() -> dict[int, str]:
    """What each version changed, for operators (the admin, the commands), by version."""
    return {v: n.operator for v, n in version.CHANGELOG.items()}


def user_notes() -> dict[int, str]:
    """What each version means for users, in plain words (the settings page, mails)."""
    return {v: n.user for v, n in version.CHANGELOG.items()}


def get_schema() -> Schema:
    """The package's Schema (imported lazily so `import byod.package` stays cheap)."""
    from byod.package.schema import schema

    return schema


def schema_export() -> dict[str, Any]:
    """The current version's schema export (as `defineSchema(...).export()` returns it)."""
    return get_schema().export()


def history_of(schema: Schema, current: int) -> History:
    """Versions from the oldest supported up to `current`, whose schema is `schema` (older
    ones come from the lock file), with the declared data migrations. Raises KeyError for a
    version missing from the lock file."""
    from byod.package.rewrites import DECLARATIONS, OLDEST_SUPPORTED
    from byod.schema.history import History
    from byod.schema.versioning import locked_export

    exports = {v: locked_export(v) for v in range(OLDEST_SUPPORTED, current)}
    exports[current] = schema.export()
    declared = {v: d for v, d in DECLARATIONS.items() if v <= current}
    return History(exports, declared, OLDEST_SUPPORTED)
