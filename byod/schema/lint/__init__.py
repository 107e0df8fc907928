"""Lint a schema against the rules the Convex backend enforces, Convex Cloud's limits and ours.

The `convex` npm package checks none of these; the backend refuses a push that breaks one, so
we catch them before building. Each finding names a code, where it is, and what to do.

One module per kind of rule: names (tables, indexes), indexes (fields, limits, kinds),
documents (the validator itself), references (v.id fields, our own criteria), owners (whose
the documents are).
"""

from __future__ import annotations

from byod.schema.lint.documents import check_document
from byod.schema.lint.findings import Finding
from byod.schema.lint.indexes import check_indexes
from byod.schema.lint.names import check_names
from byod.schema.lint.owners import check_owners
from byod.schema.lint.references import check_references as check_id_references
from byod.schema.tables import Schema

__all__ = ["Finding", "lint"]


def lint(
    schema: Schema,
    *,
    vector_dimensions: int | None = None,
    check_references: bool = True,
    check_owner_declarations: bool = True,
) -> list[Finding]:
    """All findings for `schema`; an empty list means it lints clean.

    `vector_dimensions`, when given, is the dimension every vector index must have.
    `check_references` applies the seed's criteria for id references (the referenced table
    exists and an index starts with the reference). `check_owner_declarations` wants every
    table to declare whose its documents are (`byod.schema.owners`); a schema read back from
    an export has no declarations (Convex does not know them), so its lint turns this off.
    """
    findings: list[Finding] = []
    for name, table in schema.tables.items():
        findings += check_names(name, table)
        findings += check_indexes(name, table, schema.schema_validation, vector_dimensions)
        findings += check_document(name, table)
        if check_references:
            findings += check_id_references(schema, name, table)
        if check_owner_declarations:
            findings += check_owners(schema, name, table)
    return findings
