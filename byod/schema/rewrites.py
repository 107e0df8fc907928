"""Rewrites declared in Python: what a package version does to existing documents.

Words: a **rewrite** is declared here (one pass over one table); a **data migration** is a
version's rewrites running against one deployment (`byod.services.migrations`, recorded as
`MigrationRun` rows, executed by the runner `convex/migrations.ts` in the deployed package);
Django's migrations (`byod/migrations/`) are this app's own database schema and nothing else.

    from byod.schema.rewrites import Backfill, MapValues, Rewrite, Rename, Remove, field

    Rewrite("message-times", table="messages", ops=[
        Backfill("sentAt", field("createdAt")),       # a value computed from another field
        Rename("body", "content"),
        MapValues("status", {"stopped": "error"}),    # narrows a union of literals
        Remove("legacyFlag"),
    ])

A rewrite is one pass over one table; its operations apply in order to each document, and
each is idempotent (a backfill only fills a field that is missing, a rename only moves a field
that is still there, ...), so running a batch twice changes nothing the second time. Anything
the declarative operations cannot say is a `Custom` operation: a TypeScript function written
by hand in the Convex project (`convex/migrationCustom.ts`) that returns the fields to change.

Operations and expressions are data (`json()`): the runner in the deployed package
(`convex/migrations.ts`) interprets them, and the manifest of a build records them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from byod.schema.expressions import (
    Expr,
    JsonValue,
    RewriteDefinitionError,
    as_expr,
    coalesce,
    concat,
    const,
    field,
    field_name,
    length,
    union_of,
)

__all__ = [
    "Backfill",
    "Custom",
    "Expr",
    "MapValues",
    "Op",
    "Remove",
    "Rename",
    "Rewrite",
    "RewriteDefinitionError",
    "VersionRewrites",
    "coalesce",
    "concat",
    "const",
    "field",
    "length",
    "union_of",
]

MIGRATION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
FUNCTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --- operations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One step applied to each document of a migration's table."""

    def json(self) -> dict[str, Any]:
        raise NotImplementedError

    def writes(self) -> tuple[str, ...]:
        """Fields this step may set."""
        return ()

    def clears(self) -> tuple[str, ...]:
        """Fields this step may remove."""
        return ()


@dataclass(frozen=True)
class Backfill(Op):
    """Set `field` where it is missing, to `value` (a constant or an expression)."""

    field: str
    value: Expr

    def __init__(self, field: str, value: Expr | JsonValue) -> None:
        object.__setattr__(self, "field", field_name(field))
        object.__setattr__(self, "value", as_expr(value))

    def json(self) -> dict[str, Any]:
        return {"op": "backfill", "field": self.field, "value": self.value.json()}

    def writes(self) -> tuple[str, ...]:
        return (self.field,)


@dataclass(frozen=True)
class Rename(Op):
    """Move the value of `old` to `new` (kept when `new` is already set) and remove `old`."""

    old: str
    new: str

    def __post_init__(self) -> None:
        field_name(self.old)
        field_name(self.new)
        if self.old == self.new:
            raise RewriteDefinitionError(f"Rename({self.old!r}, {self.new!r}) renames nothing")

    def json(self) -> dict[str, Any]:
        return {"op": "rename", "from": self.old, "to": self.new}

    def writes(self) -> tuple[str, ...]:
        return (self.new,)

    def clears(self) -> tuple[str, ...]:
        return (self.old,)


@dataclass(frozen=True)
class Remove(Op):
    """Remove `field` from every document (its data is lost: acknowledge it)."""

    field: str

    def __post_init__(self) -> None:
        field_name(self.field)

    def json(self) -> dict[str, Any]:
        return {"op": "remove", "field": self.field}

    def clears(self) -> tuple[str, ...]:
        return (self.field,)


@dataclass(frozen=True)
class MapValues(Op):
    """Replace old values of `field` by new ones: `MapValues("status", {"stopped": "error"})`.

    A value that is not a key is left as it is. No new value may also be an old one (running
    the step twice must change nothing the second time).
    """

    field: str
    mapping: tuple[tuple[JsonValue, JsonValue], ...]

    def __init__(
        self,
        field: str,
        mapping: Mapping[Any, JsonValue] | Iterable[tuple[JsonValue, JsonValue]],
    ) -> None:
        pairs = tuple(mapping.items() if isinstance(mapping, Mapping) else mapping)
        if not pairs:
            raise RewriteDefinitionError(f"MapValues({field!r}) maps nothing")
        olds = [_canonical(a) for a, _ in pairs]
        news = {_canonical(b) for _, b in pairs}
        if len(set(olds)) != len(olds):
            raise RewriteDefinitionError(f"MapValues({field!r}) maps a value twice")
        cycle = [a for a, b in pairs if _canonical(a) in news and a != b]
        if cycle:
            raise RewriteDefinitionError(
                f"MapValues({field!r}): {cycle[0]!r} is both an old and a new value, so a "
                "second run would change it again; map in two versions instead"
            )
        object.__setattr__(self, "field", field_name(field))
        object.__setattr__(self, "mapping", pairs)

    def json(self) -> dict[str, Any]:
        return {"op": "map", "field": self.field, "mapping": [list(p) for p in self.mapping]}

    def writes(self) -> tuple[str, ...]:
        return (self.field,)


@dataclass(frozen=True)
class Custom(Op):
    """A hand-written TypeScript function of `convex/migrationCustom.ts`, by name.

    It gets `(doc, ctx)` (ctx has a read-only `db`) and returns the fields to change (a field
    set to `undefined` is removed) or null. It must be idempotent. `covers` names the fields it
    sets for the new version, `removes` the fields it deletes: the version check trusts them.
    """

    function: str
    covers: tuple[str, ...] = ()
    removes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not FUNCTION_NAME.match(self.function):
            raise RewriteDefinitionError(
                f"Custom({self.function!r}): the function name must be a TypeScript identifier"
            )
        for name in (*self.covers, *self.removes):
            field_name(name)

    def json(self) -> dict[str, Any]:
        return {"op": "custom", "function": self.function}

    def writes(self) -> tuple[str, ...]:
        return self.covers

    def clears(self) -> tuple[str, ...]:
        return self.removes


# --- rewrites and a version's declaration -------------------------------------------------


@dataclass(frozen=True)
class Rewrite:
    """One pass over `table` applying `ops` to each document; `id` is unique in its version."""

    id: str
    table: str
    ops: tuple[Op, ...]
    description: str = ""

    def __init__(self, id: str, *, table: str, ops: Sequence[Op], description: str = "") -> None:
        if not MIGRATION_ID.match(id):
            raise RewriteDefinitionError(
                f"migration id {id!r}: use lowercase letters, digits and dashes (max 63)"
            )
        if not ops or not all(isinstance(o, Op) for o in ops):
            raise RewriteDefinitionError(f"migration {id!r}: ops must be a non-empty list")
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "ops", tuple(ops))
        object.__setattr__(self, "description", description)

    def name(self, version: int) -> str:
        """The name its progress is kept under in the deployment: `v<version>:<id>`."""
        return f"v{version}:{self.id}"

    def json(self, version: int) -> dict[str, Any]:
        return {
            "name": self.name(version),
            "id": self.id,
            "table": self.table,
            "ops": [o.json() for o in self.ops],
            "description": self.description,
        }

    def custom_functions(self) -> list[str]:
        return [o.function for o in self.ops if isinstance(o, Custom)]


@dataclass(frozen=True)
class VersionRewrites:
    """What version `version` declares about its data changes.

    `rewrites` run in order. `acknowledge` lists the destructive changes from the previous
    version that are meant (keys as `byod_schema check` prints them: `table`, `table.field`,
    `table:index`). `downgrade_acknowledge` lists what going back to the previous version
    loses (`table.field` of the fields this version added).
    """

    version: int
    rewrites: tuple[Rewrite, ...] = ()
    acknowledge: tuple[str, ...] = ()
    downgrade_acknowledge: tuple[str, ...] = dataclass_field(default=())

    def __post_init__(self) -> None:
        ids = [m.id for m in self.rewrites]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise RewriteDefinitionError(
                f"v{self.version}: migration id(s) used twice: {', '.join(duplicates)}"
            )

    def json(self) -> list[dict[str, Any]]:
        return [m.json(self.version) for m in self.rewrites]

    def custom_functions(self) -> list[str]:
        return [name for m in self.rewrites for name in m.custom_functions()]


# --- helpers ---------------------------------------------------------------------------------


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
