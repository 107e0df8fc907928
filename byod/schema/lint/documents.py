"""The document validator itself: the names of its fields."""

from __future__ import annotations

from byod.schema.lint.findings import Finding, identifier_problem
from byod.schema.tables import Table


def check_document(name: str, table: Table) -> list[Finding]:
    """Findings for the table's document validator."""
    out = []
    for field_name in table.fields:
        problem = identifier_problem(field_name)
        if problem or field_name.startswith("_"):
            out.append(
                Finding(
                    "field-name",
                    name,
                    f"field name {field_name!r} {problem or 'must not start with _'}.",
                    field=field_name,
                )
            )
    return out
