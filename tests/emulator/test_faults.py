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
