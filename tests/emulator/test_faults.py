"""Each injected fault does what it says, on the endpoint it was set for."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.emulator import schemas
from tests.emulator.convex_cli import push, push_request
from tests.fixtures.emulator import EmulatorError


def check_key(client, dep, **kwargs):
    return client.get(
        dep.url + "/api/check_admin_key",
        headers={"Authorization": f"Convex {dep.admin_key}"},
        **kwargs,
    )


def test_latency_delays_the_endpoint_and_no_other(client, convex_deployment):
    # Lower bounds only: a busy machine makes any request slower, never faster. A fault for
    # one request would be used up by /version if it applied there; then check_admin_key
    # would not be delayed.
    convex_deployment.set_fault("check_admin_key", latency_ms=400, times=1)
    assert client.get(convex_deployment.url + "/version").status_code == 200
    started = time.monotonic()
    assert check_key(client, convex_deployment).status_code == 200
    assert time.monotonic() - started >= 0.4
    assert check_key(client, convex_deployment).status_code == 200  # without the fault


def test_status_answers_with_the_given_status_and_body(client, convex_deployment):
    convex_deployment.set_fault(
        "check_admin_key", status=429, body={"code": "RateLimited", "message": "slow down"}
    )
    response = check_key(client, convex_deployment)
    assert response.status_code == 429
    assert response.json() == {"code": "RateLimited", "message": "slow down"}


def test_a_5xx_status_has_a_convex_error_body(client, convex_deployment):
    convex_deployment.set_fault("*", status=503)
    response = check_key(client, convex_deployment)
    assert response.status_code == 503
    assert response.json()["code"] == "InternalServerError"


def test_times_limits_a_fault_to_the_next_requests(client, convex_deployment):
    convex_deployment.set_fault("check_admin_key", status=500, times=2)
    codes = [check_key(client, convex_deployment).status_code for _ in range(3)]
    assert codes == [500, 500, 200]


def test_every_makes_a_fault_act_on_every_nth_request(client, convex_deployment):
    convex_deployment.set_fault("check_admin_key", status=500, every=3, times=2)
    codes = [check_key(client, convex_deployment).status_code for _ in range(9)]
    assert codes == [200, 200, 500, 200, 200, 500, 200, 200, 200]


@pytest.mark.parametrize("every", [0, -2, 1.5])
def test_every_must_be_a_positive_count(convex_deployment, every):
    with pytest.raises(EmulatorError, match="InvalidFault"):
        convex_deployment.set_fault("*", status=500, every=every)


def test_a_connection_closed_by_a_fault_is_counted(client, data_deployed):
    data_deployed.set_fault("mutation", drop_after_commit=True, times=1)
    with pytest.raises(httpx.HTTPError):
        client.post(
            f"{data_deployed.url}/api/mutation",
            json={"path": "data:store", "args": {"doc": {"n": 1}}, "format": "json"},
        )
    data_deployed.set_fault("query", drop=True, times=1)
    with pytest.raises(httpx.HTTPError):
        client.post(
            f"{data_deployed.url}/api/query", json={"path": "data:echo", "args": {"value": 1}}
        )
    assert data_deployed.calls()["dropped"] == 2


def test_hang_never_answers(client, convex_deployment):
    convex_deployment.set_fault("check_admin_key", hang=True)
    with pytest.raises(httpx.ReadTimeout):
        check_key(client, convex_deployment, timeout=0.5)
    convex_deployment.clear_faults()
    assert check_key(client, convex_deployment).status_code == 200


def test_drop_closes_the_connection(client, convex_deployment):
    convex_deployment.set_fault("deploy2/start_push", drop=True)
    with pytest.raises(httpx.TransportError):
        client.post(
            convex_deployment.url + "/api/deploy2/start_push",
            json={**push_request(), "adminKey": convex_deployment.admin_key},
        )
    assert check_key(client, convex_deployment).status_code == 200


def test_schema_failure_fails_wait_for_schema_naming_the_table(client, convex_deployment):
    convex_deployment.set_fault("deploy2/wait_for_schema", schema_failure="notes")
    outcome = push(client, convex_deployment.url, convex_deployment.admin_key, push_request())
    assert outcome["statuses"][-1]["type"] == "failed"
    assert outcome["statuses"][-1]["tableName"] == "notes"
    assert outcome["finish"] is None
    assert convex_deployment.active_schema() is None


def test_race_reports_race_detected(client, convex_deployment):
    convex_deployment.set_fault("deploy2/wait_for_schema", race=True)
    outcome = push(client, convex_deployment.url, convex_deployment.admin_key, push_request())
    assert outcome["statuses"][-1] == {"type": "raceDetected"}
    assert convex_deployment.active_schema() is None


def test_a_revoked_key_is_refused_until_cleared(client, convex_deployment):
    convex_deployment.set_fault("*", revoked_key=True)
    response = check_key(client, convex_deployment)
    assert response.status_code == 403
    assert response.json()["code"] == "BadDeployKey"
    outcome = push(client, convex_deployment.url, convex_deployment.admin_key, push_request())
    assert outcome["start"].status_code == 403
    convex_deployment.clear_faults()
    assert check_key(client, convex_deployment).status_code == 200


def test_a_paused_deployment_refuses_functions_but_takes_pushes(client, deployed):
    deployed.set_fault("*", paused=True)
    result = client.post(
        deployed.url + "/api/query", json={"path": "notes:count", "args": {}}
    ).json()
    assert result["status"] == "error"
    assert "paused" in result["errorMessage"]
    assert check_key(client, deployed).status_code == 200
    outcome = push(client, deployed.url, deployed.admin_key, push_request(schemas.CHANGED))
    assert outcome["finish"].status_code == 200
    deployed.clear_faults()
    result = client.post(deployed.url + "/api/query", json={"path": "notes:count", "args": {}})
    assert result.json()["value"] == 0


def test_faults_stay_on_their_deployment(client, convex_emulator, convex_deployment):
    other = convex_emulator.create_deployment()
    try:
        convex_deployment.set_fault("*", status=500)
        assert check_key(client, other).status_code == 200
    finally:
        convex_emulator.delete_deployment(other.name)


def test_an_unknown_fault_kind_is_refused(convex_deployment):
    with pytest.raises(EmulatorError, match="UnknownFault"):
        convex_deployment.set_fault("*", latency=5)


def wait_for_schema(client, dep):
    """start_push, then one wait_for_schema poll: its status."""
    body = {**push_request(), "adminKey": dep.admin_key, "dryRun": False}
    start = client.post(dep.url + "/api/deploy2/start_push", json=body)
    assert start.status_code == 200, start.text
    wait = {"adminKey": dep.admin_key, "schemaChange": start.json()["schemaChange"]}
    return client.post(dep.url + "/api/deploy2/wait_for_schema", json={**wait, "timeoutMs": 0})


def query(client, dep):
    return client.post(dep.url + "/api/query", json={"path": "notes:count", "args": {}})


# Per state fault: (endpoint, fault, did it act on this response?).
STATE_FAULTS = {
    "revoked_key": (
        "check_admin_key",
        {"revoked_key": True},
        lambda client, dep: check_key(client, dep).status_code == 403,
    ),
    "paused": (
        "query",
        {"paused": True},
        lambda client, dep: "paused" in query(client, dep).json().get("errorMessage", ""),
    ),
    "race": (
        "deploy2/wait_for_schema",
        {"race": True},
        lambda client, dep: wait_for_schema(client, dep).json()["type"] == "raceDetected",
    ),
    "schema_failure": (
        "deploy2/wait_for_schema",
        {"schema_failure": "notes"},
        lambda client, dep: wait_for_schema(client, dep).json()["type"] == "failed",
    ),
}


@pytest.mark.parametrize("times", [1, 2])
@pytest.mark.parametrize("kind", STATE_FAULTS)
def test_times_counts_state_faults_like_the_others(client, deployed, kind, times):
    endpoint, fault, acted = STATE_FAULTS[kind]
    deployed.set_fault(endpoint, **fault, times=times)
    assert [acted(client, deployed) for _ in range(times + 1)] == [True] * times + [False]


def test_times_counts_every_fault_a_request_runs_under(client, convex_deployment):
    convex_deployment.set_fault("*", revoked_key=True, times=1)
    convex_deployment.set_fault("check_admin_key", latency_ms=1)
    assert [check_key(client, convex_deployment).status_code for _ in range(2)] == [403, 200]


@pytest.mark.parametrize("times", [0, -1, 1.5, "2"])
def test_times_must_be_a_positive_count(convex_deployment, times):
    with pytest.raises(EmulatorError, match="InvalidFault"):
        convex_deployment.set_fault("*", status=500, times=times)


@pytest.mark.parametrize("fault", [5, None, [1]])
def test_a_fault_must_be_an_object(client, convex_emulator, convex_deployment, fault):
    response = client.post(
        f"{convex_emulator.base_url}/deployments/{convex_deployment.name}/faults",
        json={"endpoint": "*", "fault": fault},
    )
    if fault is None:  # no fault at all: one that does nothing, as always
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert response.json()["code"] == "InvalidFault"


def test_drop_after_commit_commits_the_mutation_and_loses_the_answer(client, deployed):
    deployed.set_fault("mutation", drop_after_commit=True, times=1)
    with pytest.raises(httpx.TransportError):
        client.post(
            deployed.url + "/api/mutation", json={"path": "notes:add", "args": {"title": "x"}}
        )
    assert [d["title"] for d in deployed.documents("notes")] == ["x"]
    answer = client.post(
        deployed.url + "/api/mutation", json={"path": "notes:add", "args": {"title": "y"}}
    )
    assert answer.json()["status"] == "success"  # `times` used up: answered again
    assert [d["title"] for d in deployed.documents("notes")] == ["x", "y"]


def test_drop_after_commit_on_another_endpoint_leaves_mutations_alone(client, deployed):
    deployed.set_fault("query", drop_after_commit=True)
    answer = client.post(
        deployed.url + "/api/mutation", json={"path": "notes:add", "args": {"title": "x"}}
    )
    assert answer.json()["status"] == "success"
    with pytest.raises(httpx.TransportError):
        client.post(deployed.url + "/api/query", json={"path": "notes:count", "args": {}})


def test_overloaded_answers_503_with_convexs_body(client, deployed):
    deployed.set_fault("mutation", overloaded=True, times=1)
    response = client.post(
        deployed.url + "/api/mutation", json={"path": "notes:add", "args": {"title": "x"}}
    )
    assert response.status_code == 503
    assert response.json()["code"] == "CommitterFullError"
    assert deployed.documents("notes") == []


def test_a_hanging_function_endpoint_holds_the_connection_and_others_go_on(client, deployed):
    deployed.set_fault("query", hang=True)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        client.post(
            deployed.url + "/api/query", json={"path": "notes:count", "args": {}}, timeout=0.5
        )
    assert time.monotonic() - started >= 0.5
    answer = client.post(
        deployed.url + "/api/mutation", json={"path": "notes:add", "args": {"title": "x"}}
    )
    assert answer.json()["status"] == "success"
    assert deployed.calls()["total"] == 1  # the hanging query never ran
