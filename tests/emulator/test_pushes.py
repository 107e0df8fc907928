"""Pushes over HTTP, with the exact bodies the real CLI writes: diffs, backend rules, validation."""

from __future__ import annotations

import httpx

from tests.emulator import schemas
from tests.emulator.convex_cli import push, push_request
from tests.fixtures.emulator import EmulatorDeployment


def deploy(client: httpx.Client, dep: EmulatorDeployment, schema: str | None = None) -> dict:
    return push(client, dep.url, dep.admin_key, push_request(schema))


def names(configs: list[dict]) -> list[str]:
    return sorted(c["name"] for c in configs)


def test_it_pushes_and_activates_the_schema(client, convex_deployment):
    outcome = deploy(client, convex_deployment)
    assert outcome["start"].status_code == 200
    assert outcome["statuses"][-1] == {"type": "complete"}
    assert outcome["finish"].status_code == 200
    diff = outcome["finish"].json()["componentDiffs"][""]
    assert names(diff["indexDiff"]["added_indexes"]) == [
        "notes.by_pinned_title",
        "notes.by_title",
        "tags.by_name",
    ]
    schema = convex_deployment.active_schema()
    assert [t["tableName"] for t in schema["tables"]] == ["notes", "tags"]
    assert convex_deployment.pushes()[-1]["status"] == "finished"


def test_it_reports_index_diffs_of_a_second_push(client, convex_deployment):
    deploy(client, convex_deployment)
    start = deploy(client, convex_deployment, schemas.CHANGED)["start"].json()
    diff = start["schemaChange"]["indexDiffs"][""]
    assert names(diff["added_indexes"]) == [
        "notes.by_pinned",
        "notes.by_title",
        "notes.search_body",
    ]
    assert names(diff["removed_indexes"]) == ["notes.by_pinned_title", "notes.by_title"]
    added = {c["name"]: c for c in diff["added_indexes"]}
    assert added["notes.by_title"] == {
        "name": "notes.by_title",
        "type": "database",
        "fields": ["title", "pinned"],
    }
    assert added["notes.search_body"]["type"] == "search"
    assert added["notes.search_body"]["searchField"] == "body"
    assert diff["enabled_indexes"] == [] and diff["disabled_indexes"] == []


def test_it_reports_backfill_progress_while_new_indexes_build(client, convex_deployment):
    convex_deployment.set_backfill_ms(1500)
    outcome = deploy(client, convex_deployment)
    progress = [s for s in outcome["statuses"] if s["type"] == "inProgress"]
    assert len(progress) >= 2
    component = progress[0]["components"][""]
    assert component["indexesTotal"] == 3
    assert component["schemaValidationComplete"] is False
    completes = [s["components"][""]["indexesComplete"] for s in progress]
    assert completes == sorted(completes)
    assert outcome["statuses"][-1] == {"type": "complete"}


def test_it_rejects_a_reserved_index_name(client, convex_deployment):
    deploy(client, convex_deployment)
    outcome = deploy(client, convex_deployment, schemas.RESERVED_INDEX_NAME)
    assert outcome["start"].status_code == 400
    body = outcome["start"].json()
    assert body["code"] == "IndexNameReserved"
    assert '"by_creation_time"' in body["message"] and '"notes"' in body["message"]
    assert convex_deployment.active_schema()["tables"][0]["indexes"][0]["indexDescriptor"] == (
        "by_title"
    )
    rejected = convex_deployment.pushes()[-1]
    assert rejected["status"] == "rejected"
    assert rejected["error"]["code"] == "IndexNameReserved"


def test_it_rejects_an_index_on_a_missing_field(client, convex_deployment):
    outcome = deploy(client, convex_deployment, schemas.INDEX_ON_MISSING_FIELD)
    assert outcome["start"].status_code == 400
    body = outcome["start"].json()
    assert body["code"] == "SchemaDefinitionError"
    assert "by_color" in body["message"] and "color" in body["message"]
    assert convex_deployment.active_schema() is None


def test_it_fails_a_narrowing_push_naming_the_table_and_keeps_the_old_schema(
    client, convex_deployment
):
    deploy(client, convex_deployment)
    before = convex_deployment.active_schema()
    convex_deployment.insert("notes", {"title": "kept", "body": "has a body", "pinned": False})
    outcome = deploy(client, convex_deployment, schemas.NARROWED)
    assert outcome["start"].status_code == 200
    failed = outcome["statuses"][-1]
    assert failed["type"] == "failed"
    assert failed["tableName"] == "notes"
    assert "notes" in failed["error"]
    assert outcome["finish"] is None
    assert convex_deployment.active_schema() == before
    assert [d["title"] for d in convex_deployment.documents("notes")] == ["kept"]


def test_it_refuses_to_finish_a_push_whose_documents_do_not_match(client, convex_deployment):
    deploy(client, convex_deployment)
    before = convex_deployment.active_schema()
    convex_deployment.insert("notes", {"title": "x", "body": "y", "pinned": True})
    outcome = push(
        client,
        convex_deployment.url,
        convex_deployment.admin_key,
        push_request(schemas.NARROWED),
        finish=False,
    )
    finish = client.post(
        convex_deployment.url + "/api/deploy2/finish_push",
        json={
            "adminKey": convex_deployment.admin_key,
            "startPush": outcome["start"].json(),
            "dryRun": False,
        },
    )
    assert finish.status_code == 400
    assert convex_deployment.active_schema() == before


def test_it_keeps_data_and_ids_across_pushes(client, convex_deployment):
    deploy(client, convex_deployment)
    added = client.post(
        convex_deployment.url + "/api/mutation",
        json={"path": "notes:add", "args": {"title": "first"}, "format": "json"},
    ).json()
    assert added["status"] == "success"
    deploy(client, convex_deployment, schemas.CHANGED)
    docs = convex_deployment.documents("notes")
    assert [d["_id"] for d in docs] == [added["value"]]
    found = client.post(
        convex_deployment.url + "/api/query",
        json={"path": "notes:byTitle", "args": {"title": "first"}, "format": "json"},
    ).json()
    assert [d["_id"] for d in found["value"]] == [added["value"]]


def test_a_dry_run_changes_nothing(client, convex_deployment):
    outcome = push(
        client, convex_deployment.url, convex_deployment.admin_key, push_request(), dry_run=True
    )
    assert outcome["finish"].status_code == 200
    assert convex_deployment.active_schema() is None
    assert convex_deployment.pushes()[-1]["status"] == "dry_run"


def test_evaluate_push_only_reports_the_diff(client, convex_deployment):
    body = {**push_request(), "adminKey": convex_deployment.admin_key, "dryRun": True}
    response = client.post(convex_deployment.url + "/api/deploy2/evaluate_push", json=body)
    assert response.status_code == 200
    assert len(response.json()["schemaChange"]["indexDiffs"][""]["added_indexes"]) == 3
    assert convex_deployment.active_schema() is None


def test_it_detects_a_race_between_two_pushes(client, convex_deployment):
    request = {**push_request(), "adminKey": convex_deployment.admin_key, "dryRun": False}
    first = client.post(convex_deployment.url + "/api/deploy2/start_push", json=request).json()
    client.post(convex_deployment.url + "/api/deploy2/start_push", json=request)
    status = client.post(
        convex_deployment.url + "/api/deploy2/wait_for_schema",
        json={"adminKey": convex_deployment.admin_key, "schemaChange": first["schemaChange"]},
    )
    assert status.json() == {"type": "raceDetected"}


def test_get_schema_shows_the_active_schema(client, convex_deployment):
    url = convex_deployment.url + "/api/streaming_import/get_schema"
    headers = {"Authorization": f"Convex {convex_deployment.admin_key}"}
    assert client.get(url, headers=headers).json() is None
    deploy(client, convex_deployment)
    assert client.get(url, headers=headers).json() == convex_deployment.active_schema()
