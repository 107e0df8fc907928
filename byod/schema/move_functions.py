"""What the move functions (package v4, `convex/dataMoves.ts`) need to know of each owned table
(the order in which a move copies tables is `byod.schema.data_functions.move_order`).

A move pages one owner's documents of a table in creation order: a table owned by a field
through its owner index, a table owned through a parent by walking the owner's parents (through
the parent's index on exactly its owner field) and each one's children (through the table's
index on the parent reference). Chains longer than one parent are refused: none exists, and
paging them would need a cursor per level.
"""

from __future__ import annotations

from typing import Any

from byod.schema.owners import (
    OwnershipError,
    is_owned,
    owner_chain,
    owner_index,
    reference_target,
)
from byod.schema.tables import Schema

# Function name -> the arguments its builder takes in the generated module.
MOVES = {
    "exportPage": "spec, move",
    "copiesPage": "spec",
    "importBatch": "spec, move",
    "fixReferences": "spec",
    "removeBatch": "spec, move",
    "foreign": "spec, move",
}


def move_spec(schema: Schema, name: str) -> dict[str, Any] | None:
    """`{index, parentIndex, required}` of an owned table (see the module's docstring); None
    when the table cannot be paged so (`move_problems` says why): it gets no move functions."""
    try:
        return _move_spec(schema, name)
    except OwnershipError:
        return None


def move_problems(schema: Schema) -> list[str]:
    """Why owned tables of `schema` cannot be moved (a package with move functions must
    have none)."""
    problems = []
    for name, table in schema.tables.items():
        if is_owned(table):
            try:
                _move_spec(schema, name)
            except OwnershipError as error:
                problems.append(str(error))
    return problems


def _move_spec(schema: Schema, name: str) -> dict[str, Any]:
    chain = owner_chain(schema, name)
    # References that cannot wait for the second pass: their targets must be copied first.
    required = [f for f, v in schema.tables[name].fields.items() if reference_target(v)]
    if len(chain) == 1:
        return {"index": owner_index(schema, name), "parentIndex": None, "required": required}
    if len(chain) > 2:
        raise OwnershipError(f"{name}: a move pages chains of at most one parent")
    step, top = chain
    entry = schema.tables[name]
    served = [i for i in entry.indexes if i.fields and i.fields[0] == step.field]
    parent = schema.tables[top.table]
    exact = [i.name for i in parent.indexes if list(i.fields) == [top.field]]
    if not served or not exact:
        raise OwnershipError(
            f"{name}: a move needs an index of {name} on {step.field} and one of "
            f"{top.table} on exactly {top.field}"
        )
    index = min(served, key=lambda i: len(i.fields)).name
    return {"index": index, "parentIndex": exact[0], "required": required}
