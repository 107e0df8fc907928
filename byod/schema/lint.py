"""Lint a schema against the rules the Convex backend enforces, Convex Cloud's limits and ours.

The `convex` npm package checks none of these; the backend refuses a push that breaks one, so
we catch them before building. Each finding names a code, where it is, and what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from byod.schema.tables import Schema, Table
from byod.schema.validators import Array, Id, Object, Record, Simple, Union, Validator

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_IDENTIFIER = 64
MAX_INDEX_FIELDS = 15  # the backend appends _creationTime: 16 in all
MAX_FILTER_FIELDS = 16
MIN_DIMENSIONS, MAX_DIMENSIONS = 2, 4096
RESERVED_INDEX_NAMES = {"by_id", "by_creation_time"}
# Convex Cloud's documented per-table limits.
MAX_INDEXES, MAX_SEARCH_INDEXES, MAX_VECTOR_INDEXES = 32, 4, 4
SYSTEM_FIELDS = {"_id": Id(table_name=""), "_creationTime": Simple(kind="number")}


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


def lint(
    schema: Schema, *, vector_dimensions: int | None = None, check_references: bool = True
) -> list[Finding]:
    """All findings for `schema`; an empty list means it lints clean.

    `vector_dimensions`, when given, is the dimension every vector index must have.
    `check_references` applies the seed's criteria for id references (the referenced table
    exists and an index starts with the reference).
    """
    findings: list[Finding] = []
    for name, table in schema.tables.items():
        findings += _lint_table(schema, name, table, vector_dimensions, check_references)
    return findings


def _identifier_problem(name: str) -> str | None:
    if not IDENTIFIER.match(name):
        return "must match [A-Za-z_][A-Za-z0-9_]*"
    if len(name) > MAX_IDENTIFIER:
        return f"is longer than {MAX_IDENTIFIER} characters"
    if set(name) == {"_"}:
        return "must not be all underscores"
    return None


def _lint_table(
    schema: Schema,
    name: str,
    table: Table,
    dimensions: int | None,
    check_references: bool,
) -> list[Finding]:
    out: list[Finding] = []

    def add(code: str, message: str, index: str | None = None, field: str | None = None) -> None:
        out.append(Finding(code, name, message, index, field))

    problem = _identifier_problem(name)
    if problem:
        add("table-name", f"table name {name!r} {problem}.")
    elif name.startswith("_"):
        add("table-name", f"table name {name!r} must not start with '_' (reserved for system).")

    validated = schema.schema_validation
    all_names = (
        [i.name for i in table.indexes]
        + [s.name for s in table.search_indexes]
        + [vi.name for vi in table.vector_indexes]
    )
    seen: set[str] = set()
    for index_name in all_names:
        problem = _identifier_problem(index_name)
        if problem:
            add("index-name", f"index name {index_name!r} {problem}.", index_name)
        elif index_name in RESERVED_INDEX_NAMES or index_name.startswith("_"):
            add("index-name", f"index name {index_name!r} is reserved; pick another.", index_name)
        if index_name in seen:
            add("duplicate-index-name", "index names must be unique in a table.", index_name)
        seen.add(index_name)

    if len(table.indexes) > MAX_INDEXES:
        add("too-many-indexes", f"{len(table.indexes)} indexes; Convex Cloud allows {MAX_INDEXES}.")
    if len(table.search_indexes) > MAX_SEARCH_INDEXES:
        add(
            "too-many-search-indexes",
            f"{len(table.search_indexes)} search indexes; Convex Cloud allows "
            f"{MAX_SEARCH_INDEXES}.",
        )
    if len(table.vector_indexes) > MAX_VECTOR_INDEXES:
        add(
            "too-many-vector-indexes",
            f"{len(table.vector_indexes)} vector indexes; Convex Cloud allows "
            f"{MAX_VECTOR_INDEXES}.",
        )

    field_lists: dict[tuple[str, ...], str] = {}
    for index in table.indexes:
        if not 1 <= len(index.fields) <= MAX_INDEX_FIELDS:
            add(
                "index-field-count",
                f"an index needs 1 to {MAX_INDEX_FIELDS} fields, not {len(index.fields)}.",
                index.name,
            )
        if len(set(index.fields)) != len(index.fields):
            add("duplicate-index-field", "a field appears twice in the index.", index.name)
        for path in index.fields:
            out += _check_path(name, index.name, path, table, validated, "index-field")
        if index.fields in field_lists:
            add(
                "duplicate-index-fields",
                f"same fields as index {field_lists[index.fields]!r}; drop one.",
                index.name,
            )
        else:
            field_lists[index.fields] = index.name

    for search in table.search_indexes:
        out += _check_path(name, search.name, search.search_field, table, validated, "search-field")
        if validated:
            found = _resolve(table.document, search.search_field)
            if found is not None and not _is_kind(found, "string"):
                add(
                    "search-field-type",
                    "the search field must be a string.",
                    search.name,
                    search.search_field,
                )
        out += _check_filters(name, search.name, search.filter_fields, table, validated)

    for vector in table.vector_indexes:
        if not MIN_DIMENSIONS <= vector.dimensions <= MAX_DIMENSIONS:
            add(
                "vector-dimensions",
                f"dimensions must be {MIN_DIMENSIONS}..{MAX_DIMENSIONS}, not {vector.dimensions}.",
                vector.name,
            )
        elif dimensions is not None and vector.dimensions != dimensions:
            add(
                "vector-dimensions",
                f"dimensions are {vector.dimensions}; the package uses {dimensions}.",
                vector.name,
            )
        out += _check_path(name, vector.name, vector.vector_field, table, validated, "vector-field")
        if validated:
            found = _resolve(table.document, vector.vector_field)
            if found is not None and not _is_float_array(found):
                add(
                    "vector-field-type",
                    "the vector field must be v.array(v.float64()) (optional is fine).",
                    vector.name,
                    vector.vector_field,
                )
        out += _check_filters(name, vector.name, vector.filter_fields, table, validated)

    for field_name in table.fields:
        problem = _identifier_problem(field_name)
        if problem or field_name.startswith("_"):
            add(
                "field-name",
                f"field name {field_name!r} {problem or 'must not start with _'}.",
                field=field_name,
            )
    if check_references:
        out += _check_references(schema, name, table)
    return out


def _check_filters(
    table_name: str, index: str, filters: tuple[str, ...], table: Table, validated: bool
) -> list[Finding]:
    out = []
    if len(filters) > MAX_FILTER_FIELDS:
        out.append(
            Finding(
                "filter-field-count",
                table_name,
                f"{len(filters)} filter fields; at most {MAX_FILTER_FIELDS}.",
                index,
            )
        )
    for path in filters:
        out += _check_path(table_name, index, path, table, validated, "filter-field")
    return out


def _check_path(
    table_name: str, index: str, path: str, table: Table, validated: bool, code: str
) -> list[Finding]:
    parts = path.split(".")
    for part in parts:
        problem = _identifier_problem(part)
        if problem:
            return [Finding(code, table_name, f"{path!r}: {part!r} {problem}.", index, path)]
    if code == "index-field" and (path in ("_id", "_creationTime") or parts[-1].startswith("_")):
        return [
            Finding(
                code,
                table_name,
                f"{path!r} cannot be indexed (system fields are implicit: _creationTime is "
                "appended to every index).",
                index,
                path,
            )
        ]
    if validated and _resolve(table.document, path) is None:
        return [
            Finding(
                f"{code}-missing",
                table_name,
                f"{path!r} is not a field of the table; add it or fix the index.",
                index,
                path,
            )
        ]
    return []


def _resolve(validator: Validator, path: str) -> Validator | None:
    """The validator at a dotted field path, or None when no branch has that field."""
    current: list[Validator] = [validator]
    for part in path.split("."):
        nxt: list[Validator] = []
        for candidate in current:
            nxt += _child(candidate, part)
        if not nxt:
            return None
        current = nxt
    return current[0] if len(current) == 1 else Union(members=tuple(current))


def _child(validator: Validator, part: str) -> list[Validator]:
    if isinstance(validator, Object):
        found = validator.fields.get(part)
        return [found] if found is not None else []
    if isinstance(validator, Union):
        out: list[Validator] = []
        for member in validator.members:
            out += _child(member, part)
        return out
    if isinstance(validator, Simple) and validator.kind == "any":
        return [validator]
    return []


def _is_kind(validator: Validator, kind: str) -> bool:
    if isinstance(validator, Union):
        return all(_is_kind(m, kind) for m in validator.members)
    return isinstance(validator, Simple) and validator.kind == kind


def _is_float_array(validator: Validator) -> bool:
    return (
        isinstance(validator, Array)
        and isinstance(validator.element, Simple)
        and validator.element.kind == "number"
    )


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


def _check_references(schema: Schema, name: str, table: Table) -> list[Finding]:
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
