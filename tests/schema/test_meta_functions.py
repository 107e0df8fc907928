"""The package's meta functions work once the committed artifact is pushed (emulator)."""

from __future__ import annotations

from typing import Any

import httpx

from byod import builds
from byod.package.version import CURRENT_VERSION


def call(client: httpx.Client, url: str, key: str, path: str, body: dict[str, Any]) -> Any:
    response = client.post(
        f"{url}{path}", json=body, headers={"Authorization": f"Convex {key}"}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()


def deploy(client: httpx.Client, url: str, key: str) -> None:
    body = {**builds.load_artifact(CURRENT_VERSION), "adminKey": key, "dryRun": False}
    start = call(client, url, key, "/api/deploy2/start_push", body)
    for _ in range(200):
        status = call(
            client,
            url,
            key,
            "/api/deploy2/wait_for_schema",
            {"adminKey": key, "schemaChange": start["schemaChange"], "timeoutMs": 1000,
             "dryRun": False},
        )  # fmt: skip
        if status["type"] != "inProgress":
            break
    assert status == {"type": "complete"}
    call(
        client,
        url,
        key,
        "/api/deploy2/finish_push",
        {"adminKey": key, "startPush": start, "dryRun": False},
    )


def test_it_records_and_reads_the_deployed_version(convex_deployment: Any) -> None:
    url, key = convex_deployment.url, convex_deployment.admin_key
    with httpx.Client() as client:
        deploy(client, url, key)

        def run(kind: str, path: str, args: dict[str, Any]) -> Any:
            result = call(
                client, url, key, f"/api/{kind}", {"path": path, "args": args, "format": "json"}
            )
            assert result["status"] == "success", result
            return result["value"]

        assert run("query", "meta:get", {}) is None
        package_hash = builds.package_hash(CURRENT_VERSION)
        for deployed_at in (1000.0, 2000.0):
            record = {
                "schemaVersion": CURRENT_VERSION,
                "packageHash": package_hash,
                "deployedAt": deployed_at,
            }
            assert run("mutation", "meta:record", record) is None
        assert run("query", "meta:get", {}) == {**record, "deployedAt": 2000.0}
        assert len(convex_deployment.documents("byodMeta")) == 2
        bad = call(
            client,
            url,
            key,
            "/api/mutation",
            {"path": "meta:record", "args": {"schemaVersion": "one"}, "format": "json"},
        )
        assert bad["status"] == "error"
