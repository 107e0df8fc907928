"""Every backend schema rule in DESIGN.md is enforced at start_push with the backend's error code.

The pushed schema module here is a stand-in whose default export has `.export()` returning the
JSON under test, so each rule is checked without bundling a TypeScript schema for it.
"""

from __future__ import annotations

import json

import pytest

from tests.emulator.convex_cli import push_request

STRING = {"type": "string"}


def doc(**fields):
    return {
        "type": "object",
        "value": {name: {"fieldType": v, "optional": False} for name, v in fields.items()},
    }


def table(name="notes", indexes=(), search=(), vector=(), document=None):
    return {
        "tableName": name,
        "indexes": list(indexes),
        "stagedDbIndexes": [],
        "searchIndexes": list(search),
        "stagedSearchIndexes": [],
        "vectorIndexes": list(vector),
        "stagedVectorIndexes": [],
        "documentType": document or doc(a=STRING, b=STRING, c=STRING),
    }


def index(name, *fields):
    return {"indexDescriptor": name, "fields": list(fields)}


EMBEDDING = {"type": "array", "value": {"type": "number"}}

CASES = {
    "table name with a dash": ([table("bad-name")], "InvalidTableName"),
    "table name starting with _": ([table("_secret")], "TableNameReserved"),
    "table name all underscores": ([table("___")], "InvalidTableName"),
    "table name over 64 chars": ([table("t" * 65)], "InvalidTableName"),
    "index named by_id": ([table(indexes=[index("by_id", "a")])], "IndexNameReserved"),
    "index named _x": ([table(indexes=[index("_x", "a")])], "IndexNameReserved"),
    "index name with a dash": ([table(indexes=[index("by-a", "a")])], "InvalidIndexName"),
    "two indexes with one name": (
        [table(indexes=[index("by_a", "a"), index("by_a", "b")])],
        "IndexNamesNotUnique",
    ),
    "a search index reusing an index name": (
        [
            table(
                indexes=[index("by_a", "a")],
                search=[{"indexDescriptor": "by_a", "searchField": "b", "filterFields": []}],
            )
        ],
        "IndexNamesNotUnique",
    ),
    "an empty index": ([table(indexes=[index("by_nothing")])], "EmptyIndex"),
    "16 fields": (
        [
            table(
                indexes=[index("by_many", *[f"f{i}" for i in range(16)])],
                document=doc(**{f"f{i}": STRING for i in range(16)}),
            )
        ],
        "IndexTooManyFields",
    ),
    "a duplicate field": (
        [table(indexes=[index("by_aa", "a", "a")])],
        "FieldsNotUniqueWithinIndex",
    ),
    "_id in an index": ([table(indexes=[index("by_id2", "_id")])], "IndexFieldsContainId"),
    "_creationTime in an index": (
        [table(indexes=[index("by_ct", "_creationTime")])],
        "IndexFieldsContainCreationTime",
    ),
    "a _-prefixed field": ([table(indexes=[index("by_x", "_x")])], "IndexFieldNameReserved"),
    "two indexes with one field list": (
        [table(indexes=[index("by_a", "a"), index("by_a2", "a")])],
        "IndexNotUnique",
    ),
    "17 search filter fields": (
        [
            table(
                search=[
                    {
                        "indexDescriptor": "search_a",
                        "searchField": "a",
                        "filterFields": [f"f{i}" for i in range(17)],
                    }
                ],
                document=doc(a=STRING, **{f"f{i}": STRING for i in range(17)}),
            )
        ],
        "IndexTooManyFilterFields",
    ),
    "vector dimensions 1": (
        [
            table(
                vector=[
                    {
                        "indexDescriptor": "by_vec",
                        "vectorField": "e",
                        "dimensions": 1,
                        "filterFields": [],
                    }
                ],
                document=doc(e=EMBEDDING),
            )
        ],
        "InvalidVectorDimensionError",
    ),
    "vector dimensions 4097": (
        [
            table(
                vector=[
                    {
                        "indexDescriptor": "by_vec",
                        "vectorField": "e",
                        "dimensions": 4097,
                        "filterFields": [],
                    }
                ],
                document=doc(e=EMBEDDING),
            )
        ],
        "InvalidVectorDimensionError",
    ),
    "a vector field that is not array(float64)": (
        [
            table(
                vector=[
                    {
                        "indexDescriptor": "by_vec",
                        "vectorField": "a",
                        "dimensions": 8,
                        "filterFields": [],
                    }
                ],
            )
        ],
        "SchemaDefinitionError",
    ),
    "an index on a missing field": (
        [table(indexes=[index("by_z", "z")])],
        "SchemaDefinitionError",
    ),
    "a search filter on a missing field": (
        [
            table(
                search=[{"indexDescriptor": "search_a", "searchField": "a", "filterFields": ["z"]}]
            )
        ],
        "SchemaDefinitionError",
    ),
}


def schema_module(tables: list[dict], validation: bool = True) -> str:
    exported = json.dumps({"tables": tables, "schemaValidation": validation})
    return f"export default {{ export() {{ return {json.dumps(exported)}; }} }};\n"


def start_push(client, dep, tables, validation=True):
    request = push_request()
    app = request["appDefinition"]
    schema = {**app["schema"], "source": schema_module(tables, validation), "sourceMap": None}
    body = {
        **request,
        "appDefinition": {**app, "schema": schema},
        "adminKey": dep.admin_key,
        "dryRun": False,
    }
    return client.post(dep.url + "/api/deploy2/start_push", json=body)


@pytest.mark.parametrize(("tables", "code"), CASES.values(), ids=CASES.keys())
def test_it_rejects_a_schema_breaking_a_backend_rule(client, convex_deployment, tables, code):
    response = start_push(client, convex_deployment, tables)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code
    assert convex_deployment.active_schema() is None


def test_it_accepts_indexes_on_missing_fields_without_schema_validation(client, convex_deployment):
    response = start_push(
        client, convex_deployment, [table(indexes=[index("by_z", "z")])], validation=False
    )
    assert response.status_code == 200, response.text


def test_it_accepts_nested_index_fields(client, convex_deployment):
    nested = doc(meta=doc(kind=STRING))
    response = start_push(
        client, convex_deployment, [table(indexes=[index("by_kind", "meta.kind")], document=nested)]
    )
    assert response.status_code == 200, response.text
