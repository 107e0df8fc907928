"""Read a schema export (`defineSchema(...).export()` JSON) back into the DSL.

So the lint can judge any export (one a test writes by hand, one in versions.lock.json) with
its one implementation. Reading is faithful, not strict: a table or index that breaks a
backend rule is read as it is, for the lint to report; only JSON the DSL cannot represent
(an unknown validator type, a missing key, staged indexes) is a SchemaDefinitionError.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Mapping
from typing import Any

from byod.schema.errors import SchemaDefinitionError
from byod.schema.tables import Schema, Table
from byod.schema.validators import Array, Id, Literal, Object, Record, Simple, Union, Validator

# JSON type -> the DSL's TypeScript builder name for it.
SIMPLE = {
    "string": "string",
    "number": "number",
    "bigint": "int64",
    "boolean": "boolean",
    "null": "null",
    "bytes": "bytes",
    "any": "any",
}
STAGED = ("stagedDbIndexes", "stagedSearchIndexes", "stagedVectorIndexes")


def schema_from_export(export: Mapping[str, Any]) -> Schema:
    """The Schema whose `export()` is `export`, tables and indexes in the order given.

    Raises SchemaDefinitionError for JSON the DSL cannot represent (see the module docstring).
    """
    tables: dict[str, Table] = {}
    for entry in _get(export, "tables", "the schema"):
        name = _get(entry, "tableName", "a table")
        if name in tables:
            raise SchemaDefinitionError(f"table {name!r} is defined twice")
        tables[name] = _table(name, entry)
    return Schema(tables, bool(export.get("schemaValidation", True)))


def _table(name: str, entry: Mapping[str, Any]) -> Table:
    where = f"table {name!r}"
    for key in STAGED:
        if entry.get(key):
            raise SchemaDefinitionError(f"{where}: {key} are not supported by the DSL")
    document = entry.get("documentType")
    table = Table(validator_from_json(document) if document is not None else Simple(kind="any"))
    for index in _get(entry, "indexes", where):
        table.index(_get(index, "indexDescriptor", where), _get(index, "fields", where))
    for index in entry.get("searchIndexes") or []:
        table.search_index(
            _get(index, "indexDescriptor", where),
            search_field=_get(index, "searchField", where),
            filter_fields=index.get("filterFields", []),
        )
    for index in entry.get("vectorIndexes") or []:
        table.vector_index(
            _get(index, "indexDescriptor", where),
            vector_field=_get(index, "vectorField", where),
            dimensions=_get(index, "dimensions", where),
            filter_fields=index.get("filterFields", []),
        )
    return table


def validator_from_json(data: Mapping[str, Any]) -> Validator:
    """The validator whose `json()` is `data` (the `convex` package's validator JSON)."""
    kind = _get(data, "type", "a validator")
    if kind in SIMPLE:
        return Simple(kind=kind, ts_name=SIMPLE[kind])
    if kind == "id":
        return Id(table_name=_get(data, "tableName", "an id validator"))
    if kind == "literal":
        return _literal(_get(data, "value", "a literal"))
    if kind == "array":
        return Array(element=validator_from_json(_get(data, "value", "an array validator")))
    if kind == "object":
        fields = _get(data, "value", "an object validator")
        return Object(fields={name: _field(f) for name, f in fields.items()})
    if kind == "record":
        return Record(
            keys=validator_from_json(_get(data, "keys", "a record validator")),
            values=_field(_get(data, "values", "a record validator")),
        )
    if kind == "union":
        members = _get(data, "value", "a union validator")
        return Union(members=tuple(validator_from_json(m) for m in members))
    raise SchemaDefinitionError(f"unknown validator type {kind!r}")


def _field(data: Mapping[str, Any]) -> Validator:
    validator = validator_from_json(_get(data, "fieldType", "a field"))
    return validator.as_optional() if data.get("optional") else validator


def _literal(value: Any) -> Validator:
    if isinstance(value, Mapping) and "$integer" in value:
        (number,) = struct.unpack("<q", base64.b64decode(value["$integer"]))
        return Literal(value=number, int64=True)
    if isinstance(value, str | int | float | bool):
        return Literal(value=value)
    raise SchemaDefinitionError(f"unsupported literal value {value!r}")


def _get(data: Any, key: str, what: str) -> Any:
    if not isinstance(data, Mapping) or key not in data:
        raise SchemaDefinitionError(f"{what} has no {key!r}: {data!r}"[:300])
    return data[key]
