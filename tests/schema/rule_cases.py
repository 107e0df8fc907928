"""One table of schema cases, each with the Convex backend's verdict, for the emulator AND the lint.

Each case is a schema export (as `defineSchema(...).export()` gives it) and what the real backend
does with it at `start_push`: accept it, or refuse it with an error code. The emulator
(tests/emulator/test_schema_rules.py) and the lint (tests/schema/test_rule_cases.py) are both
held to that verdict, so neither can drift from the backend, or from each other, unnoticed.

The verdicts were read in the backend's source (github.com/get-convex/convex-backend at 94a42c3):
`crates/common/src/schemas/json.rs` (TableDefinition::try_from: names, index counts, unique
fields), `crates/common/src/schemas/mod.rs` (check_index_references: fields exist, vector field
type), `crates/common/src/bootstrap_model/index/` (index_validation_error.rs: the codes;
database_index/indexed_fields.rs, vector_index/dimensions.rs), `crates/application/src/lib.rs`
(_validate_user_defined_index_fields: system fields, +_creationTime), `crates/common/src/types/
index.rs` (IndexDescriptor, IndexName) and `crates/convex/sync_types/src/identifier.rs`.

A case may say `lint_only`: the backend accepts it but the lint refuses it, and why (Convex
Cloud's lower limits, or a rule of ours). The emulator gives the backend's verdict on every case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Every rule the table covers: DESIGN.md's "Rules the backend enforces", the rules found beside
# them in the backend's source, and Convex Cloud's documented limits (lint only).
RULES = {
    "identifiers": "table, index and field-path names are identifiers of at most 64 chars",
    "reserved-table-names": "table names must not start with _",
    "reserved-index-names": "index names must not be by_id, by_creation_time or start with _",
    "unique-index-names": "index names are unique across all index kinds of a table",
    "index-field-count": "a database index has 1..15 fields",
    "index-field-duplicates": "no field twice in one index",
    "index-system-fields": "no _id, _creationTime or _-prefixed part in a database index",
    "unique-index-fields": "no two database indexes with the same field list",
    "search-filter-count": "a search index has at most 16 (distinct) filter fields",
    "vector-dimensions": "a vector index has 2..4096 dimensions",
    "vector-filter-count": "a vector index has at most 16 (distinct) filter fields",
    "fields-exist": "with schema validation, index, search and search filter fields exist",
    "vector-field-type": "with schema validation, the vector field can hold array(float64)",
    "unique-search-indexes": "no two search indexes with one searchField and filter fields",
    "unique-vector-indexes": "no two vector indexes with one vectorField and dimensions",
    "index-count": "at most 64 indexes of all kinds in a table",
    "document-type": "a document is an object, a union of objects, or any",
    "document-field-names": "every field name in the document validator is an identifier",
    "cloud-limits": "Convex Cloud: 32 indexes, 4 search and 4 vector indexes per table",
    "search-field-type": "ours: a search field is a string (Convex's docs say so)",
}


@dataclass(frozen=True)
class Case:
    """One schema export and what the backend (and so the emulator) and the lint do with it."""

    name: str
    rule: str
    export: dict[str, Any]
    backend: str | None = None  # the backend's error code; None: the backend accepts it
    lint: tuple[str, ...] = ()  # the lint's finding codes; (): it lints clean
    lint_only: str | None = None


# -- Builders for exports -------------------------------------------------------------------

STRING = {"type": "string"}
NUMBER = {"type": "number"}
ANY = {"type": "any"}
FLOATS = {"type": "array", "value": NUMBER}


def obj(**fields: dict[str, Any]) -> dict[str, Any]:
    """An object validator of required fields."""
    return {
        "type": "object",
        "value": {name: {"fieldType": v, "optional": False} for name, v in fields.items()},
    }


def obj_with_optional(required: dict[str, Any], optional_fields: dict[str, Any]) -> dict[str, Any]:
    """An object validator of `required` and `optional_fields`."""
    value = {name: {"fieldType": v, "optional": False} for name, v in required.items()}
    value |= {name: {"fieldType": v, "optional": True} for name, v in optional_fields.items()}
    return {"type": "object", "value": value}


def union(*members: dict[str, Any]) -> dict[str, Any]:
    return {"type": "union", "value": list(members)}


DOC = obj(a=STRING, b=STRING, c=STRING)


def table(
    name: str = "notes",
    *,
    indexes: list[dict[str, Any]] | None = None,
    search: list[dict[str, Any]] | None = None,
    vector: list[dict[str, Any]] | None = None,
    document: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "tableName": name,
        "indexes": indexes or [],
        "stagedDbIndexes": [],
        "searchIndexes": search or [],
        "stagedSearchIndexes": [],
        "vectorIndexes": vector or [],
        "stagedVectorIndexes": [],
        "documentType": DOC if document is None else document,
    }


def index(name: str, *fields: str) -> dict[str, Any]:
    return {"indexDescriptor": name, "fields": list(fields)}


def search(name: str, field: str, *filters: str) -> dict[str, Any]:
    return {"indexDescriptor": name, "searchField": field, "filterFields": list(filters)}


def vector(name: str, field: str, dimensions: int, *filters: str) -> dict[str, Any]:
    return {
        "indexDescriptor": name,
        "vectorField": field,
        "dimensions": dimensions,
        "filterFields": list(filters),
    }


def schema(*tables: dict[str, Any], validation: bool = True) -> dict[str, Any]:
    return {"tables": list(tables), "schemaValidation": validation}


def fields(count: int, *extra: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A document of string fields f0..f{count-1}, plus `extra` (name, validator) pairs."""
    return obj(**{f"f{i}": STRING for i in range(count)}, **dict(extra))


def names(count: int) -> list[str]:
    return [f"f{i}" for i in range(count)]


EMBEDDED = obj(a=STRING, e=FLOATS)

# -- The cases --------------------------------------------------------------------------------

CASES = [
    # Identifiers (crates/convex/sync_types/src/identifier.rs: check_valid_identifier)
    Case(
        "table name with a dash",
        "identifiers",
        schema(table("bad-name")),
        "InvalidTableName",
        ("table-name",),
    ),
    Case(
        "table name starting with a digit",
        "identifiers",
        schema(table("1notes")),
        "InvalidTableName",
        ("table-name",),
    ),
    Case(
        "table name all underscores",
        "identifiers",
        schema(table("___")),
        "InvalidTableName",
        ("table-name",),
    ),
    Case(
        "table name of 65 chars",
        "identifiers",
        schema(table("t" * 65)),
        "InvalidTableName",
        ("table-name",),
    ),
    Case("table name of exactly 64 chars", "identifiers", schema(table("t" * 64))),
    Case(
        "index name with a dash",
        "identifiers",
        schema(table(indexes=[index("by-a", "a")])),
        "InvalidIndexName",
        ("index-name",),
    ),
    Case(
        "index name of 65 chars",
        "identifiers",
        schema(table(indexes=[index("i" * 65, "a")])),
        "InvalidIndexName",
        ("index-name",),
    ),
    Case(
        "index name of exactly 64 chars",
        "identifiers",
        schema(table(indexes=[index("i" * 64, "a")])),
    ),
    # The name is parsed (IndexDescriptor::new) before reserved names are checked (IndexName::new).
    Case(
        "index name all underscores",
        "identifiers",
        schema(table(indexes=[index("___", "a")])),
        "InvalidIndexName",
        ("index-name",),
    ),
    Case(
        "index field with a dash",
        "identifiers",
        schema(table(indexes=[index("by_a", "a-b")])),
        "InvalidIndexField",
        ("index-field",),
    ),
    Case(
        "index field path with an empty part",
        "identifiers",
        schema(
            table(indexes=[index("by_kind", "meta..kind")], document=obj(meta=obj(kind=STRING)))
        ),
        "InvalidIndexField",
        ("index-field",),
    ),
    Case(
        "search field with a dash",
        "identifiers",
        schema(table(search=[search("search_a", "a-b")])),
        "InvalidIndexField",
        ("search-field",),
    ),
    Case(
        "vector filter field with a dash",
        "identifiers",
        schema(table(vector=[vector("by_e", "e", 8, "a-b")], document=EMBEDDED)),
        "InvalidIndexField",
        ("filter-field",),
    ),
    Case(
        "nested index field path",
        "identifiers",
        schema(table(indexes=[index("by_kind", "meta.kind")], document=obj(meta=obj(kind=STRING)))),
    ),
    # FieldPath::from_str (crates/value/src/field_path.rs) trims dots at either end.
    Case(
        "index field path with a trailing dot",
        "identifiers",
        schema(table(indexes=[index("by_a", "a.")])),
        None,
        ("index-field",),
        lint_only="ours: the backend trims it to a; a stray dot is more likely a typo",
    ),
    # Reserved names
    Case(
        "table name starting with _",
        "reserved-table-names",
        schema(table("_secret")),
        "TableNameReserved",
        ("table-name",),
    ),
    Case(
        "index named by_id",
        "reserved-index-names",
        schema(table(indexes=[index("by_id", "a")])),
        "IndexNameReserved",
        ("index-name",),
    ),
    Case(
        "index named by_creation_time",
        "reserved-index-names",
        schema(table(indexes=[index("by_creation_time", "a")])),
        "IndexNameReserved",
        ("index-name",),
    ),
    Case(
        "index named _x",
        "reserved-index-names",
        schema(table(indexes=[index("_x", "a")])),
        "IndexNameReserved",
        ("index-name",),
    ),
    # IndexName::new_reserved (crates/common/src/types/index.rs) lets Fivetran's names through.
    Case(
        "index named _fivetran_synced",
        "reserved-index-names",
        schema(table(indexes=[index("_fivetran_synced", "a")])),
        None,
        ("index-name",),
        lint_only="ours: the backend lets _fivetran-prefixed index names through for Fivetran",
    ),
    # One name per index, across kinds
    Case(
        "two indexes with one name",
        "unique-index-names",
        schema(table(indexes=[index("by_a", "a"), index("by_a", "b")])),
        "IndexNamesNotUnique",
        ("duplicate-index-name",),
    ),
    Case(
        "a search index reusing an index name",
        "unique-index-names",
        schema(table(indexes=[index("by_a", "a")], search=[search("by_a", "b")])),
        "IndexNamesNotUnique",
        ("duplicate-index-name",),
    ),
    Case(
        "a vector index reusing a search index name",
        "unique-index-names",
        schema(
            table(
                search=[search("by_a", "a")],
                vector=[vector("by_a", "e", 8)],
                document=EMBEDDED,
            )
        ),
        "IndexNamesNotUnique",
        ("duplicate-index-name",),
    ),
    # Database index fields
    Case(
        "an index without fields",
        "index-field-count",
        schema(table(indexes=[index("by_nothing")])),
        "EmptyIndex",
        ("index-field-count",),
    ),
    Case(
        "an index of 15 fields",
        "index-field-count",
        schema(table(indexes=[index("by_many", *names(15))], document=fields(15))),
    ),
    Case(
        "an index of 16 fields",
        "index-field-count",
        schema(table(indexes=[index("by_many", *names(16))], document=fields(16))),
        "IndexTooManyFields",
        ("index-field-count",),
    ),
    Case(
        "a field twice in an index",
        "index-field-duplicates",
        schema(table(indexes=[index("by_aa", "a", "a")])),
        "FieldsNotUniqueWithinIndex",
        ("duplicate-index-field",),
    ),
    Case(
        "_id in an index",
        "index-system-fields",
        schema(table(indexes=[index("by_id2", "_id")])),
        "IndexFieldsContainId",
        ("index-field",),
    ),
    Case(
        "_creationTime in an index",
        "index-system-fields",
        schema(table(indexes=[index("by_ct", "a", "_creationTime")])),
        "IndexFieldsContainCreationTime",
        ("index-field",),
    ),
    Case(
        "a _-prefixed field in an index",
        "index-system-fields",
        schema(table(indexes=[index("by_x", "_x")])),
        "IndexFieldNameReserved",
        ("index-field",),
    ),
    Case(
        "a _-prefixed last part in an index",
        "index-system-fields",
        schema(table(indexes=[index("by_x", "meta._x")], document=obj(meta=ANY))),
        "IndexFieldNameReserved",
        ("index-field",),
    ),
    Case(
        "a _-prefixed first part in an index",
        "index-system-fields",
        schema(table(indexes=[index("by_x", "_meta.kind")], document=ANY)),
        "IndexFieldNameReserved",
        ("index-field",),
    ),
    Case(
        "two indexes with one field list",
        "unique-index-fields",
        schema(table(indexes=[index("by_a", "a"), index("by_a2", "a")])),
        "IndexNotUnique",
        ("duplicate-index-fields",),
    ),
    Case(
        "an index extending another's fields",
        "unique-index-fields",
        schema(table(indexes=[index("by_a", "a"), index("by_a_b", "a", "b")])),
    ),
    # Search indexes
    Case(
        "16 search filter fields",
        "search-filter-count",
        schema(
            table(search=[search("search_a", "a", *names(16))], document=fields(16, ("a", STRING)))
        ),
    ),
    Case(
        "17 search filter fields",
        "search-filter-count",
        schema(
            table(search=[search("search_a", "a", *names(17))], document=fields(17, ("a", STRING)))
        ),
        "IndexTooManyFilterFields",
        ("filter-field-count",),
    ),
    # Filter fields are read into a set (BTreeSet, json.rs): distinct ones count.
    Case(
        "17 search filter fields with one listed twice",
        "search-filter-count",
        schema(
            table(
                search=[search("search_a", "a", *names(16), "f0")],
                document=fields(16, ("a", STRING)),
            )
        ),
    ),
    # validate_unique_index_fields (json.rs): searchField and filter-field set.
    Case(
        "two search indexes with one searchField and filter fields",
        "unique-search-indexes",
        schema(table(search=[search("search_a", "a", "b"), search("search_a2", "a", "b")])),
        "SearchIndexFieldNotUnique",
        ("duplicate-search-index",),
    ),
    Case(
        "two search indexes on one searchField with other filter fields",
        "unique-search-indexes",
        schema(table(search=[search("search_a", "a", "b"), search("search_a_c", "a", "c")])),
    ),
    # System fields are refused in database indexes only (_validate_user_defined_index_fields);
    # a top-level system field always exists (DocumentSchema::can_contain_field, mod.rs).
    Case(
        "a search filter on _creationTime",
        "fields-exist",
        schema(table(search=[search("search_a", "a", "_creationTime")])),
    ),
    Case(
        "a search field that is a number",
        "search-field-type",
        schema(table(search=[search("search_n", "n")], document=obj(n=NUMBER))),
        None,
        ("search-field-type",),
        lint_only="ours: Convex's docs want a string searchField; the backend does not check it",
    ),
    # Vector indexes
    Case(
        "vector dimensions 1",
        "vector-dimensions",
        schema(table(vector=[vector("by_e", "e", 1)], document=EMBEDDED)),
        "InvalidVectorDimensionError",
        ("vector-dimensions",),
    ),
    Case(
        "vector dimensions 4097",
        "vector-dimensions",
        schema(table(vector=[vector("by_e", "e", 4097)], document=EMBEDDED)),
        "InvalidVectorDimensionError",
        ("vector-dimensions",),
    ),
    Case(
        "vector dimensions 2",
        "vector-dimensions",
        schema(table(vector=[vector("by_e", "e", 2)], document=EMBEDDED)),
    ),
    Case(
        "vector dimensions 4096",
        "vector-dimensions",
        schema(table(vector=[vector("by_e", "e", 4096)], document=EMBEDDED)),
    ),
    Case(
        "16 vector filter fields",
        "vector-filter-count",
        schema(
            table(vector=[vector("by_e", "e", 8, *names(16))], document=fields(16, ("e", FLOATS)))
        ),
    ),
    Case(
        "17 vector filter fields",
        "vector-filter-count",
        schema(
            table(vector=[vector("by_e", "e", 8, *names(17))], document=fields(17, ("e", FLOATS)))
        ),
        "IndexTooManyFilterFields",
        ("filter-field-count",),
    ),
    # validate_unique_index_fields (json.rs): vectorField and dimensions; filters do not count.
    Case(
        "two vector indexes with one vectorField and dimensions",
        "unique-vector-indexes",
        schema(
            table(vector=[vector("by_e", "e", 8), vector("by_e_a", "e", 8, "a")], document=EMBEDDED)
        ),
        "VectorIndexFieldNotUnique",
        ("duplicate-vector-index",),
    ),
    Case(
        "two vector indexes on one vectorField with other dimensions",
        "unique-vector-indexes",
        schema(
            table(vector=[vector("by_e", "e", 8), vector("by_e16", "e", 16)], document=EMBEDDED)
        ),
    ),
    Case(
        "a vector field that is a string",
        "vector-field-type",
        schema(table(vector=[vector("by_a", "a", 8)])),
        "SchemaDefinitionError",
        ("vector-field-type",),
    ),
    Case(
        "a vector field that is an array of strings",
        "vector-field-type",
        schema(
            table(
                vector=[vector("by_t", "t", 8)], document=obj(t={"type": "array", "value": STRING})
            )
        ),
        "SchemaDefinitionError",
        ("vector-field-type",),
    ),
    Case(
        "an optional array(float64) vector field",
        "vector-field-type",
        schema(
            table(vector=[vector("by_e", "e", 8)], document=obj_with_optional({}, {"e": FLOATS}))
        ),
    ),
    # A field that can hold array(float64) is enough: a union with such a member, array(any) or
    # any (Validator::overlaps_with_array_float64, crates/common/src/schemas/validator.rs).
    Case(
        "a nullable array(float64) vector field",
        "vector-field-type",
        schema(
            table(vector=[vector("by_e", "e", 8)], document=obj(e=union(FLOATS, {"type": "null"})))
        ),
    ),
    Case(
        "an array(any) vector field",
        "vector-field-type",
        schema(
            table(vector=[vector("by_e", "e", 8)], document=obj(e={"type": "array", "value": ANY}))
        ),
    ),
    Case(
        "a vector field of any",
        "vector-field-type",
        schema(table(vector=[vector("by_e", "e", 8)], document=obj(e=ANY))),
    ),
    Case(
        "a nested vector field",
        "vector-field-type",
        schema(table(vector=[vector("by_e", "meta.e", 8)], document=obj(meta=obj(e=FLOATS)))),
    ),
    Case(
        "a vector field of one union member, missing from the other",
        "vector-field-type",
        schema(
            table(
                vector=[vector("by_e", "e", 8)],
                document=union(obj(e=STRING), obj(x=NUMBER)),
            )
        ),
        None,
        ("vector-field-type",),
        lint_only=(
            "ours: the backend counts a member without the field as able to hold the vector "
            "(overlaps_with_array_float64); the one member that has it holds a string"
        ),
    ),
    # Fields must exist (with schema validation)
    Case(
        "an index on a missing field",
        "fields-exist",
        schema(table(indexes=[index("by_z", "z")])),
        "SchemaDefinitionError",
        ("index-field-missing",),
    ),
    Case(
        "an index on a missing nested field",
        "fields-exist",
        schema(
            table(indexes=[index("by_color", "meta.color")], document=obj(meta=obj(kind=STRING)))
        ),
        "SchemaDefinitionError",
        ("index-field-missing",),
    ),
    Case(
        "a search field that is missing",
        "fields-exist",
        schema(table(search=[search("search_z", "z")])),
        "SchemaDefinitionError",
        ("search-field-missing",),
    ),
    Case(
        "a search filter on a missing field",
        "fields-exist",
        schema(table(search=[search("search_a", "a", "z")])),
        "SchemaDefinitionError",
        ("filter-field-missing",),
    ),
    Case(
        "a vector field that is missing",
        "fields-exist",
        schema(table(vector=[vector("by_z", "z", 8)])),
        "SchemaDefinitionError",
        ("vector-field-missing",),
    ),
    # TableDefinition::fields_referenced_in_indexes (mod.rs): the vector field, not its filters.
    Case(
        "a vector filter on a missing field",
        "fields-exist",
        schema(table(vector=[vector("by_e", "e", 8, "z")], document=EMBEDDED)),
        None,
        ("filter-field-missing",),
        lint_only="ours: a filter on a field no document can have never matches",
    ),
    Case(
        "an index into a record",
        "fields-exist",
        schema(
            table(
                indexes=[index("by_key", "labels.key")],
                document=obj(
                    labels={
                        "type": "record",
                        "keys": STRING,
                        "values": {"fieldType": STRING, "optional": False},
                    }
                ),
            )
        ),
        "SchemaDefinitionError",
        ("index-field-missing",),
    ),
    Case(
        "an index into an array of objects",
        "fields-exist",
        schema(
            table(
                indexes=[index("by_name", "items.name")],
                document=obj(items={"type": "array", "value": obj(name=STRING)}),
            )
        ),
        "SchemaDefinitionError",
        ("index-field-missing",),
    ),
    Case(
        "an index on a field of one member of a union document",
        "fields-exist",
        schema(
            table(
                indexes=[index("by_key", "key")],
                document=union(obj(type=STRING, x=NUMBER), obj(type=STRING, key=STRING)),
            )
        ),
    ),
    Case(
        "an index on a field of an optional object",
        "fields-exist",
        schema(
            table(
                indexes=[index("by_kind", "meta.kind")],
                document=obj_with_optional({}, {"meta": obj(kind=STRING)}),
            )
        ),
    ),
    Case(
        "an index on any field of an any document",
        "fields-exist",
        schema(table(indexes=[index("by_z", "z.y")], document=ANY)),
    ),
    Case(
        "an index on a missing field without schema validation",
        "fields-exist",
        schema(table(indexes=[index("by_z", "z")]), validation=False),
    ),
    Case(
        "a string vector field without schema validation",
        "vector-field-type",
        schema(table(vector=[vector("by_a", "a", 8)]), validation=False),
    ),
    # The document validator
    # DocumentSchema::try_from (json.rs): an object, a union of objects, or any.
    Case(
        "a document that is a string",
        "document-type",
        schema(table(document=STRING)),
        "InvalidTopLevelTypeInSchemaError",
        ("document-type",),
    ),
    Case(
        "a document union with a non-object member",
        "document-type",
        schema(table(document=union(obj(a=STRING), {"type": "null"}))),
        "InvalidTopLevelTypeInSchemaError",
        ("document-type",),
    ),
    # ObjectValidator::try_from (json.rs) parses every name as an IdentifierFieldName; the plain
    # error is answered as InvalidSchema (crates/isolate/src/environment/schema.rs).
    Case(
        "a field name with a dash",
        "document-field-names",
        schema(table(document=obj(**{"bad-name": STRING}))),
        "InvalidSchema",
        ("field-name",),
    ),
    Case(
        "a nested field name with a dash",
        "document-field-names",
        schema(table(document=obj(meta=obj(**{"bad-name": STRING})))),
        "InvalidSchema",
        ("field-name",),
    ),
    Case(
        "a top-level field name starting with _",
        "document-field-names",
        schema(table(document=obj(_secret=STRING))),
        None,
        ("field-name",),
        lint_only=(
            "ours: the backend silently drops a top-level _ field from the validator "
            "(filter_system_fields in crates/common/src/schemas/json.rs); _ is for system fields"
        ),
    ),
    Case(
        "a nested field name starting with _",
        "document-field-names",
        schema(table(document=obj(meta=obj(_kind=STRING)))),
    ),
    # Index counts
    # MAX_INDEXES_PER_TABLE = 64 (mod.rs), all kinds and staged ones together, checked in json.rs.
    Case(
        "65 indexes",
        "index-count",
        schema(table(indexes=[index(f"by_f{i}", f"f{i}") for i in range(65)], document=fields(65))),
        "TooManyIndexes",
        ("too-many-indexes",),  # Convex Cloud's 32 is what the lint says
    ),
    Case(
        "33 indexes",
        "cloud-limits",
        schema(table(indexes=[index(f"by_f{i}", f"f{i}") for i in range(33)], document=fields(33))),
        None,
        ("too-many-indexes",),
        lint_only="Convex Cloud allows 32 indexes per table; the backend 64",
    ),
    Case(
        "5 search indexes",
        "cloud-limits",
        schema(
            table(search=[search(f"search_f{i}", f"f{i}") for i in range(5)], document=fields(5))
        ),
        None,
        ("too-many-search-indexes",),
        lint_only="Convex Cloud allows 4 search indexes per table; the backend has no such limit",
    ),
    Case(
        "5 vector indexes",
        "cloud-limits",
        schema(table(vector=[vector(f"by_e{i}", "e", 2 + i) for i in range(5)], document=EMBEDDED)),
        None,
        ("too-many-vector-indexes",),
        lint_only="Convex Cloud allows 4 vector indexes per table; the backend has no such limit",
    ),
]
