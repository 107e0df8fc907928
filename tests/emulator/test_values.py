"""Arguments are always encoded JSON; answers come in the requested format, as Convex writes them.

Convex's words and formats: crates/value/src/json (arguments), crates/value/src/export.rs and
serde_json (answers), crates/common/src/version.rs (the default format).
"""

from __future__ import annotations

import base64
import json
import math
import struct
from typing import Any

import httpx
import pytest

from tests.fixtures.emulator import EmulatorDeployment

ONE = {"$integer": base64.b64encode(struct.pack("<q", 1)).decode()}
BIG = {"$integer": base64.b64encode(struct.pack("<q", 2**62 + 1)).decode()}


def f64(x: float) -> dict[str, str]:
    return {"$float": base64.b64encode(struct.pack("<d", x)).decode()}


def echo(
    client: httpx.Client,
    dep: EmulatorDeployment,
    value: Any,
    fmt: str | None = "convex_encoded_json",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"path": "data:echo", "args": {"value": value}}
    if fmt is not None:
        body["format"] = fmt
    return client.post(f"{dep.url}/api/query", json=body, headers=headers or {})


def value_of(response: httpx.Response) -> Any:
    answer = response.json()
    assert answer["status"] == "success", answer
    return answer["value"]


def test_encoded_values_round_trip_losslessly(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    value = {
        "int": BIG,
        "bytes": {"$bytes": "AAEC"},
        "nan": f64(math.nan),
        "inf": f64(math.inf),
        "ninf": f64(-math.inf),
        "nzero": f64(-0.0),
        "list": [1.5, "s", None, True],
    }
    assert value_of(echo(client, data_deployed, value)) == value


@pytest.mark.parametrize("fmt", ["json", "convex_clean_json", None])
def test_clean_json_turns_int64_and_bytes_into_strings(
    client: httpx.Client, data_deployed: EmulatorDeployment, fmt: str | None
) -> None:
    value = {
        "int": BIG,
        "bytes": {"$bytes": "AAEC"},
        "nan": f64(math.nan),
        "inf": f64(math.inf),
        "ninf": f64(-math.inf),
        "nzero": f64(-0.0),
    }
    got = value_of(echo(client, data_deployed, value, fmt))
    assert got == {
        "int": str(2**62 + 1),
        "bytes": "AAEC",
        "nan": "NaN",
        "inf": "Infinity",
        "ninf": "-Infinity",
        "nzero": 0.0,
    }
    assert math.copysign(1, got["nzero"]) == -1


def test_export_json_writes_int64_as_a_number(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    got = value_of(echo(client, data_deployed, {"int": BIG, "nan": f64(math.nan)}, "export_json"))
    assert got == {"int": 2**62 + 1, "nan": f64(math.nan)}


def test_floats_and_keys_are_written_as_the_backend_writes_them(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    value = {"b": 3, "a": [0.5, 1e21, 1e16, 123456789, 1e-7, 0.001]}
    for fmt in ("convex_encoded_json", "json"):
        text = echo(client, data_deployed, value, fmt).text
        assert text == (
            '{"status":"success","value":{"a":[0.5,1e21,1e16,123456789.0,1e-7,0.001],"b":3.0}}'
        )
    assert isinstance(value_of(echo(client, data_deployed, 3)), float)


def test_the_format_does_not_change_how_arguments_are_read(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    assert value_of(echo(client, data_deployed, ONE, "json")) == "1"  # an int64, not an object


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "1"),
        ("npm-1.2.0", ONE),  # older than 1.4.1: encoded
        ("npm-1.30.0", "1"),
        ("python-0.4.0", ONE),
        ("python-0.7.0", "1"),
        ("rust-0.1.0", "1"),
    ],
)
def test_without_a_format_the_client_version_decides(
    client: httpx.Client, data_deployed: EmulatorDeployment, header: str | None, expected: Any
) -> None:
    headers = {"Convex-Client": header} if header else {}
    assert value_of(echo(client, data_deployed, ONE, None, headers)) == expected


def test_a_client_version_without_a_version_is_refused(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    response = echo(client, data_deployed, 1, None, {"Convex-Client": "nodash"})
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidClientVersion"


def test_an_unknown_format_is_a_400_after_the_mutation_ran(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    response = client.post(
        f"{data_deployed.url}/api/mutation",
        json={"path": "data:store", "args": {"doc": {"x": 1}}, "format": "yaml"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "BadFormat",
        "message": "format param must be one of [`json`]. Got yaml",
    }
    assert len(data_deployed.documents("blobs")) == 1


def test_run_by_url_defaults_to_clean_json(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    response = client.post(f"{data_deployed.url}/api/run/data/echo", json={"args": {"value": ONE}})
    assert value_of(response) == "1"


def test_query_batch_writes_each_result_in_its_own_format(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    queries = [
        {"path": "data:echo", "args": {"value": ONE}, "format": "convex_encoded_json"},
        {"path": "data:echo", "args": {"value": ONE}, "format": "json"},
        {"path": "data:echo", "args": {"value": {"$integer": 5}}, "format": "json"},
    ]
    answer = client.post(f"{data_deployed.url}/api/query_batch", json={"queries": queries}).json()
    assert [r.get("value") for r in answer["results"]] == [ONE, "1", None]
    assert answer["results"][2]["status"] == "error"
    bad = client.post(
        f"{data_deployed.url}/api/query_batch",
        json={"queries": [*queries[:1], {**queries[0], "format": "xml"}]},
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "BadFormat"


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


REFUSED = [
    ({"$integer": 5}, "invalid type: integer `5`, expected a string"),
    ({"$integer": None}, "invalid type: null, expected a string"),
    ({"$integer": "AQ=="}, "Int64 must be exactly eight bytes"),
    ({"$float": "AAAAAAAA+D8="}, "Float64 1.5 should be encoded as a number"),
    ({"$float": "AAA="}, "Float64 must be exactly eight bytes"),
    ({"$bytes": "@@@@"}, "Invalid byte 64, offset 0."),
    ({"$bytes": "AAAAA"}, "Encoded text cannot have a 6-bit remainder."),
    ({"$bytes": "AB=="}, "Invalid last symbol 66, offset 1."),
    (
        {"$integer": "AQAAAAAAAAA=", "x": 1},
        "Field name $integer starts with '$', which is reserved.",
    ),
    ({"$ref": "#/a"}, "Field name $ref starts with '$', which is reserved."),
    ({"a": [{"b": {"$id": 1}}]}, "Field name $id starts with '$', which is reserved."),
    (
        {"caf\u00e9": 1},
        "Field name caf\u00e9 has invalid character '\u00e9': Field names can only contain "
        "non-control ASCII characters",
    ),
    (
        {"a\nb": 1},
        "Field name a\nb has invalid character '\\n': Field names can only contain "
        "non-control ASCII characters",
    ),
    ({"k" * 1025: 1}, "Field name is too long (1025 > maximum 1024)"),
    ([0] * 8193, "Array length is too long (8193 > maximum length 8192)"),
    (
        {f"f{i}": i for i in range(1025)},
        "Object has too many fields (1025 > maximum number 1024)",
    ),
    (nested(65), "Value is too nested (nested 65 levels deep > maximum nesting 64)"),
]


@pytest.mark.parametrize(("value", "reason"), REFUSED)
def test_malformed_arguments_are_refused_in_the_backends_words(
    client: httpx.Client, data_deployed: EmulatorDeployment, value: Any, reason: str
) -> None:
    for fmt in ("json", "convex_encoded_json"):
        answer = echo(client, data_deployed, value, fmt).json()
        assert answer == {
            "status": "error",
            "errorMessage": f"Invalid arguments for data.js:echo: {reason}",
        }
    assert data_deployed.calls()["total"] == 0  # refused before the function ran


def test_the_limits_themselves_are_accepted(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    value = {"k" * 1024: [0.0] * 8192, "n": nested(60), "$": None} | {
        f"f{i}": i for i in range(1021)
    }
    del value["$"]
    got = value_of(echo(client, data_deployed, value))
    assert len(got) == 1023 and len(got["k" * 1024]) == 8192


def test_unpadded_base64_is_accepted(
    client: httpx.Client, data_deployed: EmulatorDeployment
) -> None:
    assert value_of(echo(client, data_deployed, {"$bytes": "AAE"})) == {"$bytes": "AAE="}
    assert json.loads(echo(client, data_deployed, {"$bytes": ""}).text)["value"] == {"$bytes": ""}
