"""Field paths (`a.b.c`) in a table's validator: are they well-formed, do they exist, what type."""

from __future__ import annotations

from byod.schema.lint.findings import Finding, identifier_problem
from byod.schema.tables import Table
from byod.schema.validators import Array, Object, Simple, Union, Validator


def check_path(
    table_name: str, index: str, path: str, table: Table, validated: bool, code: str
) -> list[Finding]:
    """Findings for one field path of an index: `code` when malformed, `code-missing` when absent.

    Database index fields (`code == "index-field"`) may not name system fields either.
    """
    parts = path.split(".")
    for part in parts:
        problem = identifier_problem(part)
        if problem:
            return [Finding(code, table_name, f"{path!r}: {part!r} {problem}.", index, path)]
    if code == "index-field":
        problem = _system_field_problem(path, parts)
        if problem:
            return [Finding(code, table_name, problem, index, path)]
    if code != "index-field" and len(parts) == 1 and parts[0].startswith("_"):
        return []  # every document has its system fields (DocumentSchema::can_contain_field)
    if validated and resolve(table.document, path) is None:
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


def _system_field_problem(path: str, parts: list[str]) -> str | None:
    # The backend refuses any _-prefixed part in a database index, not only the last
    # (application/src/lib.rs, _validate_user_defined_index_fields).
    if path == "_id":
        return "'_id' cannot be indexed; load a document by its id with db.get(id)."
    if path == "_creationTime":
        return "'_creationTime' is appended to every index; drop it from the list."
    if any(part.startswith("_") for part in parts):
        return f"{path!r} cannot be indexed: names starting with '_' are reserved."
    return None


def resolve(validator: Validator, path: str) -> Validator | None:
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


def is_kind(validator: Validator, kind: str) -> bool:
    """Whether every value `validator` allows is of the simple `kind` (e.g. "string")."""
    if isinstance(validator, Union):
        return all(is_kind(m, kind) for m in validator.members)
    return isinstance(validator, Simple) and validator.kind == kind


def can_hold_float_array(validator: Validator) -> bool:
    """Whether `validator` allows a `v.array(v.float64())` value, what a vector index needs.

    As the backend judges it (Validator::overlaps_with_array_float64): an array of numbers or
    of any, `any`, or a union with such a member (e.g. nullable).
    """
    if isinstance(validator, Union):
        return any(can_hold_float_array(m) for m in validator.members)
    if isinstance(validator, Simple):
        return validator.kind == "any"
    return (
        isinstance(validator, Array)
        and isinstance(validator.element, Simple)
        and validator.element.kind in ("number", "any")
    )
