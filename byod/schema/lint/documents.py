"""The document validator itself: its shape and the names of its fields.

The backend reads every object's field names as identifiers and wants the document to be an
object, a union of objects, or any (crates/common/src/schemas/json.rs: ObjectValidator and
DocumentSchema::try_from). A top-level field starting with `_` is ours to refuse: the backend
drops it from the validator (filter_system_fields) and no document may have one.
"""

from __future__ import annotations

from collections.abc import Iterator

from byod.schema.lint.findings import Finding, identifier_problem
from byod.schema.tables import Table
from byod.schema.validators import Array, Object, Record, Simple, Union, Validator


def check_document(name: str, table: Table) -> list[Finding]:
    """Findings for the table's document validator."""
    out = []
    if not _is_document(table.document):
        out.append(
            Finding(
                "document-type",
                name,
                "a document must be an object (a dict of fields), a union of objects, or "
                f"v.any(), not {table.document.ts()}.",
            )
        )
    for path, field_name, top_level in dict.fromkeys(_field_names(table.document)):
        problem = identifier_problem(field_name)
        if not problem and top_level and field_name.startswith("_"):
            problem = "must not start with _ (reserved for system fields)"
        if problem:
            out.append(
                Finding("field-name", name, f"field name {field_name!r} {problem}.", field=path)
            )
    return out


def _is_document(validator: Validator) -> bool:
    if isinstance(validator, Union):
        return all(isinstance(m, Object) for m in validator.members)
    return isinstance(validator, Object) or (
        isinstance(validator, Simple) and validator.kind == "any"
    )


def _field_names(
    validator: Validator, prefix: str = "", top_level: bool = True
) -> Iterator[tuple[str, str, bool]]:
    """(path, name, top level?) of every object field, nested ones too.

    In paths, `[]` stands for an array's elements and `{}` for a record's values.
    """
    if isinstance(validator, Object):
        for field_name, child in validator.fields.items():
            path = f"{prefix}.{field_name}" if prefix else field_name
            yield path, field_name, top_level
            yield from _field_names(child, path, False)
    elif isinstance(validator, Union):
        for member in validator.members:
            yield from _field_names(member, prefix, top_level)
    elif isinstance(validator, Array):
        yield from _field_names(validator.element, prefix + "[]", False)
    elif isinstance(validator, Record):
        yield from _field_names(validator.values, prefix + "{}", False)
