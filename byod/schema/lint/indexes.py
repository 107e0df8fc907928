"""Database, search and vector indexes: their fields, their limits, one index per purpose."""

from __future__ import annotations

from byod.schema.lint.findings import Finding
from byod.schema.lint.paths import can_hold_float_array, check_path, is_kind, resolve
from byod.schema.tables import SearchIndex, Table, VectorIndex

MAX_INDEX_FIELDS = 15  # the backend appends _creationTime: 16 in all
MAX_FILTER_FIELDS = 16
MIN_DIMENSIONS, MAX_DIMENSIONS = 2, 4096
# Convex Cloud's documented per-table limits.
MAX_INDEXES, MAX_SEARCH_INDEXES, MAX_VECTOR_INDEXES = 32, 4, 4


def check_indexes(
    name: str, table: Table, validated: bool, dimensions: int | None
) -> list[Finding]:
    """Findings for every index of the table; `validated`: the schema validates documents."""
    out = _check_limits(name, table)
    out += _check_database_indexes(name, table, validated)
    searches: dict[tuple[str, frozenset[str]], str] = {}
    for search in table.search_indexes:
        out += _check_search_index(name, table, search, validated)
        key = (search.search_field, frozenset(search.filter_fields))
        if key in searches:
            out.append(
                Finding(
                    "duplicate-search-index",
                    name,
                    f"same searchField and filter fields as search index {searches[key]!r}; "
                    "drop one (a query may filter on any subset of an index's filter fields).",
                    search.name,
                )
            )
        searches.setdefault(key, search.name)
    vectors: dict[tuple[str, int], str] = {}
    for vector in table.vector_indexes:
        out += _check_vector_index(name, table, vector, validated, dimensions)
        vkey = (vector.vector_field, vector.dimensions)
        if vkey in vectors:
            out.append(
                Finding(
                    "duplicate-vector-index",
                    name,
                    f"same vectorField and dimensions as vector index {vectors[vkey]!r}; "
                    "combine them into one index with all the filter fields.",
                    vector.name,
                )
            )
        vectors.setdefault(vkey, vector.name)
    return out


def _check_limits(name: str, table: Table) -> list[Finding]:
    out = []
    for code, count, limit, kind in (
        ("too-many-indexes", len(table.indexes), MAX_INDEXES, "indexes"),
        (
            "too-many-search-indexes",
            len(table.search_indexes),
            MAX_SEARCH_INDEXES,
            "search indexes",
        ),
        (
            "too-many-vector-indexes",
            len(table.vector_indexes),
            MAX_VECTOR_INDEXES,
            "vector indexes",
        ),
    ):
        if count > limit:
            out.append(Finding(code, name, f"{count} {kind}; Convex Cloud allows {limit}."))
    return out


def _check_database_indexes(name: str, table: Table, validated: bool) -> list[Finding]:
    out: list[Finding] = []
    field_lists: dict[tuple[str, ...], str] = {}
    for index in table.indexes:
        if not 1 <= len(index.fields) <= MAX_INDEX_FIELDS:
            out.append(
                Finding(
                    "index-field-count",
                    name,
                    f"an index needs 1 to {MAX_INDEX_FIELDS} fields, not {len(index.fields)}.",
                    index.name,
                )
            )
        if len(set(index.fields)) != len(index.fields):
            out.append(
                Finding(
                    "duplicate-index-field", name, "a field appears twice in the index.", index.name
                )
            )
        for path in index.fields:
            out += check_path(name, index.name, path, table, validated, "index-field")
        if index.fields in field_lists:
            out.append(
                Finding(
                    "duplicate-index-fields",
                    name,
                    f"same fields as index {field_lists[index.fields]!r}; drop one.",
                    index.name,
                )
            )
        else:
            field_lists[index.fields] = index.name
    return out


def _check_search_index(
    name: str, table: Table, search: SearchIndex, validated: bool
) -> list[Finding]:
    out = check_path(name, search.name, search.search_field, table, validated, "search-field")
    if validated:
        found = resolve(table.document, search.search_field)
        if found is not None and not is_kind(found, "string"):
            out.append(
                Finding(
                    "search-field-type",
                    name,
                    "the search field must be a string.",
                    search.name,
                    search.search_field,
                )
            )
    return out + _check_filters(name, search.name, search.filter_fields, table, validated)


def _check_vector_index(
    name: str, table: Table, vector: VectorIndex, validated: bool, dimensions: int | None
) -> list[Finding]:
    out: list[Finding] = []
    if not MIN_DIMENSIONS <= vector.dimensions <= MAX_DIMENSIONS:
        out.append(
            Finding(
                "vector-dimensions",
                name,
                f"dimensions must be {MIN_DIMENSIONS}..{MAX_DIMENSIONS}, not {vector.dimensions}.",
                vector.name,
            )
        )
    elif dimensions is not None and vector.dimensions != dimensions:
        out.append(
            Finding(
                "vector-dimensions",
                name,
                f"dimensions are {vector.dimensions}; the package uses {dimensions}.",
                vector.name,
            )
        )
    out += check_path(name, vector.name, vector.vector_field, table, validated, "vector-field")
    if validated:
        found = resolve(table.document, vector.vector_field)
        if found is not None and not can_hold_float_array(found):
            out.append(
                Finding(
                    "vector-field-type",
                    name,
                    "the vector field must be v.array(v.float64()) (optional or nullable is fine).",
                    vector.name,
                    vector.vector_field,
                )
            )
    return out + _check_filters(name, vector.name, vector.filter_fields, table, validated)


def _check_filters(
    name: str, index: str, filters: tuple[str, ...], table: Table, validated: bool
) -> list[Finding]:
    out = []
    # The backend keeps filter fields in a set: a field listed twice counts once.
    if len(set(filters)) > MAX_FILTER_FIELDS:
        out.append(
            Finding(
                "filter-field-count",
                name,
                f"{len(set(filters))} filter fields; at most {MAX_FILTER_FIELDS}.",
                index,
            )
        )
    for path in filters:
        out += check_path(name, index, path, table, validated, "filter-field")
    return out
