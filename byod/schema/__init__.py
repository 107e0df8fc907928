"""A Python DSL for Convex schemas: validators (`v`), tables, indexes and schemas.

from byod.schema import define_schema, define_table, v

schema = define_schema(
    notes=define_table({"userId": v.string(), "title": v.optional(v.string())})
    .index("by_user", ["userId"]),
)
schema.export()  # equals defineSchema(...).export() of the `convex` package
"""

from __future__ import annotations

from byod.schema.errors import SchemaDefinitionError
from byod.schema.parsing import schema_from_export
from byod.schema.tables import (
    Index,
    Schema,
    SearchIndex,
    Table,
    VectorIndex,
    canonical_json,
    define_schema,
    define_table,
)
from byod.schema.validators import Validator, v

__all__ = [
    "Index",
    "Schema",
    "SchemaDefinitionError",
    "SearchIndex",
    "Table",
    "Validator",
    "VectorIndex",
    "canonical_json",
    "define_schema",
    "define_table",
    "schema_from_export",
    "v",
]
