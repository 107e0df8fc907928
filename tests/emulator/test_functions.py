"""Pushed functions run under convex-test with Convex's HTTP envelope."""

from __future__ import annotations

import json

import brotli


def call(client, dep, kind, path, args=None, *, key=None, format="json"):
    headers = {"Authorization": f"Convex {key}"} if key else {}
    body = {"path": path, "args": args or {}, "format": format}
    return client.post(f"{dep.url}/api/{kind}", json=body, headers=headers)


def test_it_runs_a_mutation_and_a_query_against_the_deployment_data(client, deployed):
    added = call(client, deployed, "mutation", "notes:add", {"title": "hello"})
    assert added.status_code == 200
    assert added.json()["status"] == "success"
    assert "logLines" not in added.json()  # the backend leaves out empty log lines
    found = call(client, deployed, "query", "notes:byTitle", {"title": "hello"}).json()
    assert [n["_id"] for n in found["value"]] == [added.json()["value"]]
    assert deployed.documents("notes")[0]["title"] == "hello"


def test_it_sees_documents_inserted_through_the_control_api(client, deployed):
    deployed.insert("notes", {"title": "seeded", "pinned": True})
    assert call(client, deployed, "query", "notes:count").json()["value"] == 1


def test_it_runs_an_action_and_round_trips_int64(client, deployed):
    value = {"n": {"$integer": "AQAAAAAAAAA="}, "s": "x"}
    answer = call(
        client, deployed, "action", "notes:echo", {"value": value}, format="convex_encoded_json"
    )
    assert answer.json() == {"status": "success", "value": value}
    clean = call(client, deployed, "action", "notes:echo", {"value": value}).json()
    assert clean == {"status": "success", "value": {"n": "1", "s": "x"}}


def test_it_runs_any_function_by_url_path(client, deployed):
    call(client, deployed, "mutation", "notes:add", {"title": "a"})
    result = client.post(f"{deployed.url}/api/run/notes/count", json={"args": {}, "format": "json"})
    assert result.json()["value"] == 1


def test_it_accepts_a_brotli_body(client, deployed):
    body = brotli.compress(json.dumps({"path": "notes:add", "args": {"title": "br"}}).encode())
    response = client.post(
        f"{deployed.url}/api/mutation",
        content=body,
        headers={"Content-Encoding": "br", "Content-Type": "application/json"},
    )
    assert response.json()["status"] == "success"


def test_it_hides_internal_functions_without_the_admin_key(client, deployed):
    hidden = call(client, deployed, "query", "notes:secretCount").json()
    assert hidden["status"] == "error"
    assert "Could not find public function for 'notes:secretCount'" in hidden["errorMessage"]
    shown = call(client, deployed, "query", "notes:secretCount", key=deployed.admin_key).json()
    assert shown == {"status": "success", "value": 0}


def test_it_refuses_a_wrong_admin_key_on_function_calls(client, deployed):
    response = call(client, deployed, "query", "notes:count", key=deployed.admin_key + "0")
    assert response.status_code == 403
    assert response.json()["code"] == "BadDeployKey"


def test_it_reports_a_missing_function(client, deployed):
    result = call(client, deployed, "query", "notes:nope").json()
    assert result["status"] == "error"
    assert "Could not find public function" in result["errorMessage"]


def test_it_refuses_to_run_a_mutation_as_a_query(client, deployed):
    result = call(client, deployed, "query", "notes:add", {"title": "x"}).json()
    assert result["status"] == "error"
    assert "as Query, but it is defined as Mutation" in result["errorMessage"]


def test_it_reports_argument_validation_errors(client, deployed):
    result = call(client, deployed, "mutation", "notes:add", {"title": 3}).json()
    assert result["status"] == "error"
    assert "Validator error" in result["errorMessage"]
    assert deployed.documents("notes") == []


def test_it_passes_convex_error_data(client, deployed):
    result = call(client, deployed, "mutation", "notes:fail").json()
    assert result["status"] == "error"
    assert result["errorData"] == {"kind": "refused"}


def test_functions_fail_before_any_push(client, convex_deployment):
    result = call(client, convex_deployment, "query", "notes:count").json()
    assert result["status"] == "error"


def test_it_returns_console_output_as_log_lines(client, deployed):
    result = call(client, deployed, "query", "notes:noisy", {"word": "hi"}).json()
    assert result["value"] == "hi"
    assert result["logLines"] == ["[LOG] 'said' 'hi'", "[WARN] { loud: true }"]
