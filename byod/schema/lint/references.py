"""Our criteria for id references: each names a table of the schema and can be looked up."""

from __future__ import annotations

from byod.schema.lint.findings import Finding
from byod.schema.tables import Schema, Table
from byod.schema.validators import Array, Id, Object, Record, Union, Validator


def _id_refs(validator: Validator, prefix: str = "") -> list[tuple[str, str]]:
    """(field path, table) of every id reference reachable by a field path (not in arrays)."""
    if isinstance(validator, Id):
        return [(prefix, validator.table_name)]
    if isinstance(validator, Union):
        out = []
        for member in validator.members:
            out += _id_refs(member, prefix)
        return list(dict.fromkeys(out))
    if isinstance(validator, Object):
        out = []
        for name, f in validator.fields.items():
            out += _id_refs(f, f"{prefix}.{name}" if prefix else name)
        return out
    return []


def _id_refs_in_arrays(
    validator: Validator, prefix: str = "", in_array: bool = False
) -> list[tuple[str, str]]:
    """(field path, table) of every id reference inside an array; `[]` marks the array."""
    if isinstance(validator, Id):
        return [(prefix, validator.table_name)] if in_array else []
    out: list[tuple[str, str]] = []
    if isinstance(validator, Union):
        for member in validator.members:
            out += _id_refs_in_arrays(member, prefix, in_array)
    elif isinstance(validator, Object):
        for name, f in validator.fields.items():
            out += _id_refs_in_arrays(f, f"{prefix}.{name}" if prefix else name, in_array)
    elif isinstance(validator, Array):
        out += _id_refs_in_arrays(validator.element, prefix + "[]", True)
    return list(dict.fromkeys(out))


def _all_id_tables(validator: Validator) -> set[str]:
    if isinstance(validator, Id):
        return {validator.table_name}
    children: list[Validator] = []
    if isinstance(validator, Object):
        children = list(validator.fields.values())
    elif isinstance(validator, Union):
        children = list(validator.members)
    elif isinstance(validator, Array):
        children = [validator.element]
    elif isinstance(validator, Record):
        children = [validator.keys, validator.values]
    out: set[str] = set()
    for child in children:
        out |= _all_id_tables(child)
    return out


def check_references(schema: Schema, name: str, table: Table) -> list[Finding]:
    """Our criteria for v.id fields: a known table, an index starting with each reference."""
    out = []
    for ref_table in sorted(_all_id_tables(table.document)):
        if not ref_table.startswith("_") and ref_table not in schema.tables:
            out.append(
                Finding(
                    "unknown-table",
                    name,
                    f"v.id({ref_table!r}) refers to a table the schema does not define.",
                )
            )
    first_fields = {index.fields[0] for index in table.indexes if index.fields}
    for path, ref_table in _id_refs(table.document):
        if ref_table.startswith("_") or path in first_fields:
            continue  # system tables (_storage) are never joined from our side
        out.append(
            Finding(
                "unindexed-reference",
                name,
                f"v.id({ref_table!r}) has no index starting with {path!r}; add "
                f'.index("by_{path.replace(".", "_")}", ["{path}"]).',
                field=path,
            )
        )
    for path, ref_table in _id_refs_in_arrays(table.document):
        if ref_table.startswith("_"):
            continue
        out.append(
            Finding(
                "unindexable-reference",
                name,
                f"v.id({ref_table!r}) in an array ({path!r}) cannot be indexed, so no index "
                f"finds the {name} holding a given id; for that lookup add a join table (one "
                f"document per pair, with an index starting with the {ref_table} id), or accept "
                "scanning.",
                field=path,
            )
        )
    return out
