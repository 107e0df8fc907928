"""A schema export reads back into the DSL: the same export, ready for the lint."""

from __future__ import annotations

from typing import Any

import pytest

from byod.package.schema import schema as package_schema
from byod.schema import Schema, SchemaDefinitionError, schema_from_export
from byod.schema.lint import lint
from byod.schema.versioning import locked_export
from tests.schema.fixtures import all_validators, seed_001, seed_002


@pytest.mark.parametrize(
    "schema",
    [
        package_schema,
        all_validators.schema,
        all_validators.unvalidated,
        seed_001.schema,
        seed_002.schema,
    ],
    ids=["package", "all_validators", "unvalidated", "seed_001", "seed_002"],
)
def test_it_reads_back_every_export_it_writes(schema: Schema) -> None:
    read = schema_from_export(schema.export())
    assert read.export() == schema.export()
    assert list(read.tables) == list(schema.tables)
    # Owner declarations are ours, not Convex's: an export does not carry them.
    assert lint(read, check_owner_declarations=False) == lint(
        schema, check_owner_declarations=False
    )
    assert all(table.ownership is None for table in read.tables.values())


def test_it_reads_the_locked_export_of_a_released_version() -> None:
    assert schema_from_export(locked_export(1)).export() == locked_export(1)


def table(**overrides: Any) -> dict[str, Any]:
    return {
        "tableName": "t",
        "indexes": [],
        "stagedDbIndexes": [],
        "searchIndexes": [],
        "stagedSearchIndexes": [],
        "vectorIndexes": [],
        "stagedVectorIndexes": [],
        "documentType": {"type": "object", "value": {}},
        **overrides,
    }


def test_it_reads_what_breaks_a_rule_as_written_for_the_lint_to_judge() -> None:
    export = {
        "tables": [
            table(
                tableName="bad-name",
                indexes=[{"indexDescriptor": "by_id", "fields": []}],
                vectorIndexes=[
                    {
                        "indexDescriptor": "vec",
                        "vectorField": "e",
                        "dimensions": 1,
                        "filterFields": [],
                    }
                ],
            )
        ],
        "schemaValidation": True,
    }
    schema = schema_from_export(export)
    assert schema.export() == export
    assert {f.code for f in lint(schema)} >= {"table-name", "index-name", "vector-dimensions"}


def test_it_reads_a_table_without_document_type_as_any() -> None:
    entry = table()
    del entry["documentType"]
    schema = schema_from_export({"tables": [entry], "schemaValidation": True})
    assert schema.tables["t"].document.json() == {"type": "any"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (table(documentType={"type": "date"}), "unknown validator type 'date'"),
        (table(indexes=[{"indexDescriptor": "by_a", "fields": "a"}]), 'not the string "a"'),
        (table(indexes=[{"fields": ["a"]}]), "has no 'indexDescriptor'"),
        (table(stagedDbIndexes=[{"indexDescriptor": "i", "fields": ["a"]}]), "stagedDbIndexes"),
    ],
    ids=["unknown type", "string field list", "no name", "staged"],
)
def test_it_refuses_json_the_dsl_cannot_represent(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaDefinitionError, match=message):
        schema_from_export({"tables": [entry], "schemaValidation": True})


def test_it_refuses_a_table_defined_twice() -> None:
    with pytest.raises(SchemaDefinitionError, match="'t' is defined twice"):
        schema_from_export({"tables": [table(), table()], "schemaValidation": True})
