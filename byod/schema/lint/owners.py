"""Owner declarations: every table says whose its documents are, and an index can serve that.

The data functions (generated from these declarations) scope every call by owner, so a table
they cannot scope is refused here rather than served unscoped: no declaration, an owner field
that is not a required string, a parent field that is not a required `v.id`, a chain of
parents that does not end at an owner field or loops, no index starting with the ownership
field, a search index that cannot be filtered by it.
"""

from __future__ import annotations

from byod.schema.lint.findings import Finding
from byod.schema.owners import OwnershipError, owner_chain, reference_target
from byod.schema.tables import Schema, Table
from byod.schema.validators import Simple

DECLARE = (
    '.owned_by("userId"), .owned_through("<parent id field>"), .package_internal() or '
    ".shared_cache()"
)


def check_owners(schema: Schema, name: str, table: Table) -> list[Finding]:
    """Findings for the table's owner declaration."""
    ownership = table.ownership
    if ownership is None:
        return [Finding("owner-missing", name, f"declare whose the documents are: {DECLARE}.")]
    if ownership.field is None:
        return []  # internal or shared: no data functions, nothing to scope
    own_field = ownership.field
    validator = table.fields.get(own_field)
    if ownership.kind == "field":
        if not (
            isinstance(validator, Simple) and validator.kind == "string" and not validator.optional
        ):
            return [
                Finding(
                    "owner-field-type",
                    name,
                    "the owner field must be a required v.string() (the user's external id).",
                    field=own_field,
                )
            ]
    elif reference_target(validator) is None:
        return [
            Finding(
                "owner-field-type",
                name,
                "owned_through needs a required v.id(<parent table>) field.",
                field=own_field,
            )
        ]
    out: list[Finding] = []
    try:
        owner_chain(schema, name)
    except OwnershipError as exc:
        out.append(Finding("owner-chain", name, f"{exc}.", field=own_field))
    if not any(index.fields and index.fields[0] == own_field for index in table.indexes):
        out.append(
            Finding(
                "owner-unindexed",
                name,
                f"no index starts with {own_field!r}, so no call can find a user's documents; "
                f'add .index("by_{own_field}", ["{own_field}"]).',
                field=own_field,
            )
        )
    for search in table.search_indexes:
        if own_field not in search.filter_fields:
            out.append(
                Finding(
                    "owner-search-filter",
                    name,
                    f"add {own_field!r} to the filter fields, so a search sees only the "
                    "owner's documents.",
                    search.name,
                    own_field,
                )
            )
    return out
