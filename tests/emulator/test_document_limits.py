"""Documents written by functions meet Convex's limits, refused in Convex's words.

Field names are refused by convex-js inside the function (as on Convex, which runs the same code);
counts, nesting and size by the backend (crates/value, crates/common/src/document.rs).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures.emulator import EmulatorDeployment

FIELD_CHARS = "Field names can only contain non-control ASCII characters"


def build(client: httpx.Client, dep: EmulatorDeployment, **args: Any) -> dict[str, Any]:
    body = {"path": "data:storeBuilt", "args": args, "format": "json"}
    answer: dict[str, Any] = client.post(f"{dep.url}/api/mutation", json=body).json()
    return answer


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"key": "$ref"}, "Field name $ref starts with a '$', which is reserved."),
        (
            {"key": "caf\u00e9"},
            f"Field name caf\u00e9 has invalid character '\u00e9': {FIELD_CHARS}",
        ),
        ({"key": "a\u0001"}, f"Field name a\u0001 has invalid character '\u0001': {FIELD_CHARS}"),
        (
            {"key": "k" * 1025},
            f"Field name {'k' * 1025} exceeds maximum field name length 1024.",
        ),
        (
            {"fields": 1025},
            "Invalid argument `value` for `db.insert`: Object has too many fields "
            "(1025 > maximum number 1024)",
        ),
        (
            {"fields": 1023},  # 1,025 with _id and _creationTime
            "Object has too many fields (1025 > maximum number 1024)",
        ),
        (
            {"items": 8193},
            "Invalid argument `value` for `db.insert`: Array length is too long "
            "(8193 > maximum length 8192)",
        ),
        (
            {"chars": 1_048_507},
            "Value is too large (1.00 MiB > maximum size 1 MiB)",
        ),
    ],
)
def test_a_document_beyond_a_limit_is_refused_and_nothing_is_written(
    client: httpx.Client, data_deployed: EmulatorDeployment, args: dict[str, Any], message: str
) -> None:
    answer = build(client, data_deployed, **args)
    assert answer == {"status": "error", "errorMessage": f"Uncaught Error: {message}"}
    assert data_deployed.documents("blobs") == []


def test_a_document_nested_deeper_than_16_is_refused(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    answer = build(client, data_deployed, depth=16)
    assert answer["status"] == "error"
    assert answer["errorMessage"].startswith("Uncaught Error: Document(value: {_creationTime: ")
    assert answer["errorMessage"].endswith(
        "isn't a valid document: Document is too nested "
        "(nested 17 levels deep > maximum nesting 16)"
    )
    assert "deep: {v: {v: " in answer["errorMessage"]
    assert data_deployed.documents("blobs") == []


def test_documents_at_the_limits_are_written(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    # 1 MiB exactly: the text, plus _id (32 characters) and _creationTime, in Convex's sizes.
    for args in ({"fields": 1022}, {"items": 8192}, {"depth": 15}, {"chars": 1_048_506}):
        assert build(client, data_deployed, **args)["status"] == "success", args
    assert len(data_deployed.documents("blobs")) == 4


def test_a_patch_that_makes_a_document_too_large_is_refused(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    blob = build(client, data_deployed, chars=1_000_000)["value"]
    body = {"path": "data:patchBlob", "args": {"id": blob, "fields": {"more": "y" * 60_000}}}
    answer = client.post(f"{data_deployed.url}/api/mutation", json=body).json()
    assert answer == {
        "status": "error",
        "errorMessage": "Uncaught Error: Value is too large (1.01 MiB > maximum size 1 MiB)",
    }
    assert "more" not in data_deployed.documents("blobs")[0]
