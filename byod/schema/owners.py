"""Who owns a document: the chain from a table to its owner field, and what serves it.

Every table of the package declares whose its documents are (`Table.owned_by`,
`owned_through`, `package_internal`, `shared_cache`). The data functions scope every read and
write by owner through what this module derives:

- `owner_chain`: the steps from a table to the string field holding the owner's external id
  (`toolCalls.messageId -> messages.userId`);
- `owner_index`: the index that finds a table's documents by its ownership field;
- `children`: the tables removed with a document (a required reference to it, served by an
  index). Optional references are left as they are when their target goes: they may point to
  nothing, as Convex allows.

The lint (`byod.schema.lint.owners`) reports what these functions refuse; they raise
`OwnershipError` so the codegen never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass

from byod.schema.errors import SchemaDefinitionError
from byod.schema.tables import Ownership, Schema, Table
from byod.schema.validators import Id, Simple, Validator

__all__ = [
    "Ownership",
    "OwnershipError",
    "Step",
    "children",
    "is_owned",
    "owner_chain",
    "owner_index",
    "reference_target",
]


class OwnershipError(SchemaDefinitionError):
    """A table's owner cannot be derived from its declaration (the lint says why in detail)."""


@dataclass(frozen=True)
class Step:
    """One step towards the owner: `table.field` points to a document of `parent`, or, in the
    last step (`parent` None), holds the owner's external id."""

    table: str
    field: str
    parent: str | None


def is_owned(table: Table) -> bool:
    """Whether the table's documents belong to users (and so get data functions)."""
    return table.ownership is not None and table.ownership.kind in ("field", "parent")


def reference_target(validator: Validator | None) -> str | None:
    """The table a required `v.id(...)` field points to, else None."""
    if isinstance(validator, Id) and not validator.optional:
        return validator.table_name
    return None


def owner_chain(schema: Schema, table: str) -> tuple[Step, ...]:
    """The steps from `table` to its owner field; raises OwnershipError when there is none
    (no declaration, not owned, a broken reference, a cycle)."""
    steps: list[Step] = []
    seen: list[str] = []
    current = table
    while True:
        if current in seen:
            raise OwnershipError(f"{table}: the owner chain has a cycle: {' -> '.join(seen)}")
        seen.append(current)
        entry = schema.tables.get(current)
        if entry is None:
            raise OwnershipError(f"{table}: the chain reaches {current!r}, not a table")
        ownership = entry.ownership
        if ownership is None or ownership.field is None:
            what = "no owner declaration" if ownership is None else f"{ownership.kind}"
            raise OwnershipError(f"{table}: the chain reaches {current} ({what}), not an owner")
        validator = entry.fields.get(ownership.field)
        if ownership.kind == "field":
            if not _is_required_string(validator):
                raise OwnershipError(
                    f"{current}.{ownership.field}: an owner field must be a required v.string()"
                )
            steps.append(Step(current, ownership.field, None))
            return tuple(steps)
        parent = reference_target(validator)
        if parent is None:
            raise OwnershipError(
                f"{current}.{ownership.field}: owned_through needs a required v.id(<parent>) field"
            )
        steps.append(Step(current, ownership.field, parent))
        current = parent


def owner_index(schema: Schema, table: str) -> str:
    """An index of `table` whose first field is its ownership field (the one with the fewest
    fields, so the cheapest); raises OwnershipError when none has it."""
    entry = schema.tables[table]
    ownership = entry.ownership
    if ownership is None or ownership.field is None:
        raise OwnershipError(f"{table}: not owned by a field or through a parent")
    found = [i for i in entry.indexes if i.fields and i.fields[0] == ownership.field]
    if not found:
        raise OwnershipError(f"{table}: no index starts with {ownership.field!r}")
    return min(found, key=lambda i: len(i.fields)).name


def children(schema: Schema, table: str) -> tuple[tuple[str, str, str], ...]:
    """(child table, its field, its index) for every owned table with a required
    `v.id(table)` field served by an index starting with that field: removed with their
    parent. In schema order, fields in declaration order."""
    out: list[tuple[str, str, str]] = []
    for name, entry in schema.tables.items():
        if not is_owned(entry):
            continue
        for field_name, validator in entry.fields.items():
            if reference_target(validator) != table:
                continue
            served = [i for i in entry.indexes if i.fields and i.fields[0] == field_name]
            if served:
                out.append((name, field_name, min(served, key=lambda i: len(i.fields)).name))
    return tuple(out)


def _is_required_string(validator: Validator | None) -> bool:
    return isinstance(validator, Simple) and validator.kind == "string" and not validator.optional
