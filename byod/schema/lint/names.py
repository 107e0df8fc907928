"""Table and index names: identifiers, reserved names, one name per index in a table."""

from __future__ import annotations

from byod.schema.lint.findings import Finding, identifier_problem
from byod.schema.tables import Table

RESERVED_INDEX_NAMES = {"by_id", "by_creation_time"}


def check_names(name: str, table: Table) -> list[Finding]:
    """Findings for the table's name and the names of all its indexes (of every kind)."""
    out: list[Finding] = []
    problem = identifier_problem(name)
    if problem:
        out.append(Finding("table-name", name, f"table name {name!r} {problem}."))
    elif name.startswith("_"):
        out.append(
            Finding(
                "table-name",
                name,
                f"table name {name!r} must not start with '_' (reserved for system).",
            )
        )
    all_names = (
        [i.name for i in table.indexes]
        + [s.name for s in table.search_indexes]
        + [vi.name for vi in table.vector_indexes]
    )
    seen: set[str] = set()
    for index_name in all_names:
        problem = identifier_problem(index_name)
        if problem:
            out.append(
                Finding("index-name", name, f"index name {index_name!r} {problem}.", index_name)
            )
        elif index_name in RESERVED_INDEX_NAMES or index_name.startswith("_"):
            out.append(
                Finding(
                    "index-name",
                    name,
                    f"index name {index_name!r} is reserved; pick another.",
                    index_name,
                )
            )
        if index_name in seen:
            out.append(
                Finding(
                    "duplicate-index-name",
                    name,
                    "index names must be unique in a table.",
                    index_name,
                )
            )
        seen.add(index_name)
    return out
