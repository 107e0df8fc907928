"""The BYOD schema package: our content schema, its version and changelog.

`schema` is defined in Python (one module per table group); everything deployed is generated
from it (see byod/schema and `manage.py byod_build`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from byod.package.version import CHANGELOG, CURRENT_VERSION

if TYPE_CHECKING:
    from byod.schema import Schema

__all__ = ["CHANGELOG", "CURRENT_VERSION", "get_schema", "schema_export"]


def get_schema() -> Schema:
    """The package's Schema (imported lazily so `import byod.package` stays cheap)."""
    from byod.package.schema import schema

    return schema


def schema_export() -> dict[str, Any]:
    """The current version's schema export (as `defineSchema(...).export()` returns it)."""
    return get_schema().export()
