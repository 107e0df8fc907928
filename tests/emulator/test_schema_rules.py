"""The emulator half of the shared schema rule cases (tests/schema/rule_cases.py).

Every case goes to start_push with the backend's verdict expected: accepted, or refused with the
backend's error code and nothing activated. The lint half is tests/schema/test_rule_cases.py.
Below them: the backend's messages word for word, and which rule it answers when two are broken.

The pushed schema module here is a stand-in whose default export has `.export()` returning the
JSON under test, so each rule is checked without bundling a TypeScript schema for it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.emulator.convex_cli import push_request
from tests.fixtures.emulator import EmulatorDeployment
from tests.schema import rule_cases as rules
from tests.schema.rule_cases import CASES, Case


def schema_module(export: dict[str, Any]) -> str:
    exported = json.dumps(export)
    return f"export default {{ export() {{ return {json.dumps(exported)}; }} }};\n"


def start_push(
    client: httpx.Client, dep: EmulatorDeployment, export: dict[str, Any]
) -> httpx.Response:
    request = push_request()
    app = request["appDefinition"]
    schema = {**app["schema"], "source": schema_module(export), "sourceMap": None}
    body = {
        **request,
        "appDefinition": {**app, "schema": schema},
        "adminKey": dep.admin_key,
        "dryRun": False,
    }
    return client.post(dep.url + "/api/deploy2/start_push", json=body)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_it_gives_the_backends_verdict_on_a_schema(
    client: httpx.Client, convex_deployment: EmulatorDeployment, case: Case
) -> None:
    response = start_push(client, convex_deployment, case.export)
    if case.backend is None:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 400, response.text
        assert response.json()["code"] == case.backend
        assert convex_deployment.active_schema() is None


# The backend's messages, word for word (crates/common/src/bootstrap_model/index/
# index_validation_error.rs, schemas/mod.rs, json.rs, sync_types/src/identifier.rs), each behind
# the prefix evaluate_schema puts on every schema error (crates/application/src/lib.rs).
PREFIX = "Hit an error while evaluating your schema:\n"
MESSAGES = {
    "a missing index field, quoted": (
        rules.schema(rules.table(indexes=[rules.index("by_z", "z")])),
        "SchemaDefinitionError",
        'In table "notes" the index "by_z" is invalid because it references the field "z" that '
        "does not exist.",
    ),
    "a vector field of the wrong type, quoted": (
        rules.schema(rules.table(vector=[rules.vector("by_a", "a", 8)])),
        "SchemaDefinitionError",
        'In table "notes" the vector index "by_a" is invalid because it references the field "a" '
        "that is neither an array of float64 or optional array of float64.",
    ),
    "an index name that is no identifier": (
        rules.schema(rules.table(indexes=[rules.index("___", "a")])),
        "InvalidIndexName",
        'In table "notes": Invalid index name: "___". Identifiers must be 64 characters or less, '
        "start with a letter, and only contain letters, digits, underscores.",
    ),
    "a field name with a dash": (
        rules.schema(rules.table(document=rules.obj(**{"bad-name": rules.STRING}))),
        "InvalidSchema",
        "Identifier bad-name has invalid character '-': Identifiers can only contain alphanumeric "
        "characters or underscores",
    ),
    "a nested field name starting with a digit": (
        rules.schema(rules.table(document=rules.obj(meta=rules.obj(**{"1st": rules.STRING})))),
        "InvalidSchema",
        "Invalid validator for key `meta`: Invalid first character '1' in 1st: Identifiers must "
        "start with an alphabetic character or underscore",
    ),
    "a document union with a null member": (
        rules.schema(
            rules.table(document=rules.union(rules.obj(a=rules.STRING), {"type": "null"}))
        ),
        "InvalidTopLevelTypeInSchemaError",
        "The document validator in a schema must be an object, a union of objects, or `v.any()`. "
        "Found v.null(). To learn more, see the schema documentation at "
        "https://docs.convex.dev/database/schemas.",
    ),
    "a field twice in an index": (
        rules.schema(rules.table(indexes=[rules.index("by_aa", "a", "a")])),
        "FieldsNotUniqueWithinIndex",
        'In table "notes": In index "by_aa": Duplicate field "a". Index fields must be unique '
        "within an index.",
    ),
    "two indexes with one field list, the later name first": (
        rules.schema(rules.table(indexes=[rules.index("by_b", "a"), rules.index("by_a", "a")])),
        "IndexNotUnique",
        'In table "notes" index "by_b" and index "by_a" have the same fields. Indexes must be '
        "unique within a table.",
    ),
    "two vector indexes on one field and dimensions": (
        rules.schema(
            rules.table(
                vector=[rules.vector("v2", "e", 8), rules.vector("v1", "e", 8, "a")],
                document=rules.EMBEDDED,
            )
        ),
        "VectorIndexFieldNotUnique",
        'In table "notes" vector index "v2" and vector index "v1" have the same `vectorField`. '
        "Vector index fields must be unique within a table. You should combine the\n"
        "             indexes with the same `vectorField` into one index containing all "
        "`filterField`s and then use different subsets of the `filterField`s at query time.",
    ),
    "65 indexes": (
        rules.schema(
            rules.table(
                indexes=[rules.index(f"by_f{i}", f"f{i}") for i in range(65)],
                document=rules.fields(65),
            )
        ),
        "TooManyIndexes",
        'Table "notes" cannot have more than 64 indexes.',
    ),
    # Records (Validator::try_from, json.rs): no shared case, as the lint does not check them yet.
    "a record with string literal keys": (
        rules.schema(
            rules.table(
                document=rules.obj(
                    r={
                        "type": "record",
                        "keys": {"type": "literal", "value": "k"},
                        "values": {"fieldType": rules.STRING, "optional": False},
                    }
                )
            )
        ),
        "InvalidRecordType",
        "Invalid validator for key `r`: Records cannot have string literal keys",
    ),
    "a record with number keys": (
        rules.schema(
            rules.table(
                document=rules.obj(
                    r={
                        "type": "record",
                        "keys": rules.NUMBER,
                        "values": {"fieldType": rules.STRING, "optional": False},
                    }
                )
            )
        ),
        "InvalidRecordType",
        "Invalid validator for key `r`: Records can only have string keys. Your validator "
        "contains a record with key typed as `v.float64()`, which is not a subtype of "
        "`v.string()`",
    ),
    "an export the backend cannot read": (
        {"tables": [{"tableName": "notes"}], "schemaValidation": True},
        "InvalidJson",
        "Invalid JSON",
    ),
}


@pytest.mark.parametrize("export, code, message", MESSAGES.values(), ids=list(MESSAGES))
def test_it_answers_with_the_backends_message(
    client: httpx.Client,
    convex_deployment: EmulatorDeployment,
    export: dict[str, Any],
    code: str,
    message: str,
) -> None:
    response = start_push(client, convex_deployment, export)
    assert response.status_code == 400, response.text
    assert response.json() == {"code": code, "message": PREFIX + message}


# A schema breaking two rules gets the one the backend checks first.
FIRST_OF_TWO = {
    "the document before the table name": (
        rules.schema(rules.table("bad-name", document=rules.STRING)),
        "InvalidTopLevelTypeInSchemaError",
    ),
    "the index count before index names": (
        rules.schema(
            rules.table(
                indexes=[rules.index("_x", f"f{i}") for i in range(65)], document=rules.fields(65)
            )
        ),
        "TooManyIndexes",
    ),
    "index names before a _creationTime field": (
        rules.schema(rules.table(indexes=[rules.index("by_id", "_creationTime")])),
        "IndexNameReserved",
    ),
    "a duplicate field before an unknown one": (
        rules.schema(rules.table(indexes=[rules.index("by_zz", "z", "z")])),
        "FieldsNotUniqueWithinIndex",
    ),
    "every table's index fields before any missing field": (
        rules.schema(
            rules.table("a_notes", indexes=[rules.index("by_z", "z")]),
            rules.table("b_notes", indexes=[rules.index("by_x", "_x")]),
        ),
        "IndexFieldNameReserved",
    ),
}


@pytest.mark.parametrize("export, code", FIRST_OF_TWO.values(), ids=list(FIRST_OF_TWO))
def test_it_answers_the_rule_the_backend_checks_first(
    client: httpx.Client,
    convex_deployment: EmulatorDeployment,
    export: dict[str, Any],
    code: str,
) -> None:
    response = start_push(client, convex_deployment, export)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code
