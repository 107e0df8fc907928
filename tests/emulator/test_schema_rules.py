"""The emulator half of the shared schema rule cases (tests/schema/rule_cases.py).

Every case goes to start_push with the backend's verdict expected: accepted, or refused with the
backend's error code and nothing activated. The lint half is tests/schema/test_rule_cases.py.

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
