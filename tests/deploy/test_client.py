"""The Convex client against the emulator: what it returns, and one category per failure."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from byod import package
from byod.builds import load_artifact
from byod.client import ConvexClient
from byod.errors import ConvexError
from byod.inputs import InputError, parse_url
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = pytest.mark.django_db


def convex_client(deployment: EmulatorDeployment, **kwargs: Any) -> ConvexClient:
    return ConvexClient(parse_url(deployment.url), deployment.admin_key, **kwargs)


def push_body(dry_run: bool = False) -> dict[str, Any]:
    return {**load_artifact(package.current_version()), "dryRun": dry_run}


def full_push(client: ConvexClient, body: dict[str, Any] | None = None) -> None:
    started = client.start_push(body or push_body())
    client.wait_for_schema(started)
    client.finish_push(started)


def category_of(call: Any) -> ConvexError:
    with pytest.raises(ConvexError) as caught:
        call()
    return caught.value


def test_it_checks_the_key_and_reads_the_instance_name(
    canary_deployment: EmulatorDeployment,
) -> None:
    with convex_client(canary_deployment) as client:
        assert client.check_admin_key()["success"] is True
        assert client.instance_name() == canary_deployment.name


def test_it_reads_no_schema_before_a_push_and_the_schema_after(
    canary_deployment: EmulatorDeployment,
) -> None:
    with convex_client(canary_deployment) as client:
        assert client.get_schema() is None
        full_push(client)
        schema = client.get_schema()
    assert schema is not None
    assert schema == canary_deployment.active_schema()


def test_it_calls_internal_meta_functions_with_the_admin_key(
    canary_deployment: EmulatorDeployment,
) -> None:
    with convex_client(canary_deployment) as client:
        full_push(client)
        client.mutation(
            "meta:record", {"schemaVersion": 7, "packageHash": "f" * 64, "deployedAt": 1.0}
        )
        got = client.query("meta:get", {})
    assert got["schemaVersion"] == 7
    assert got["packageHash"] == "f" * 64


def test_it_reports_index_backfill_progress(canary_deployment: EmulatorDeployment) -> None:
    canary_deployment.set_backfill_ms(1200)
    seen = []
    with convex_client(canary_deployment) as client:
        started = client.start_push(push_body())
        client.wait_for_schema(started, on_progress=seen.append, poll_ms=200)
    assert seen, "no progress reported while indexes backfilled"
    assert all(p.indexes_total > 0 for p in seen)
    assert seen[0].phase == "backfilling indexes"


def test_an_evaluated_push_changes_nothing(canary_deployment: EmulatorDeployment) -> None:
    with convex_client(canary_deployment) as client:
        evaluation = client.evaluate_push(push_body(dry_run=True))
    assert "schemaChange" in evaluation
    assert canary_deployment.active_schema() is None
    assert canary_deployment.pushes() == []


# --- one test per failure category, each through a real emulator fault -------------------------


def test_a_revoked_key_is_bad_credentials(canary_deployment: EmulatorDeployment) -> None:
    canary_deployment.set_fault("*", revoked_key=True)
    error = category_of(lambda: convex_client(canary_deployment).check_admin_key())
    assert error.category == "bad_credentials"
    assert error.retryable is False
    assert "deploy key" in error.user_message


def test_a_wrong_key_is_bad_credentials(canary_deployment: EmulatorDeployment) -> None:
    wrong = f"{canary_deployment.name}|{'0' * 64}"
    client = ConvexClient(parse_url(canary_deployment.url), wrong)
    error = category_of(lambda: client.start_push(push_body()))
    assert error.category == "bad_credentials"


def test_an_unknown_deployment_is_deployment_not_found(
    canary_deployment: EmulatorDeployment,
) -> None:
    canary_deployment.set_fault(
        "check_admin_key",
        status=404,
        body={"code": "DeploymentNotFound", "message": "This deployment does not exist."},
    )
    error = category_of(lambda: convex_client(canary_deployment).check_admin_key())
    assert error.category == "deployment_not_found"
    assert error.retryable is False


def test_a_closed_port_is_unreachable(convex_emulator: Any, allow_emulator_hosts: None) -> None:
    gone = convex_emulator.create_deployment()
    convex_emulator.delete_deployment(gone.name)
    error = category_of(lambda: convex_client(gone).check_admin_key())
    assert error.category == "unreachable"
    assert error.retryable is True


def test_a_dropped_connection_is_unreachable(canary_deployment: EmulatorDeployment) -> None:
    canary_deployment.set_fault("deploy2/start_push", drop=True)
    error = category_of(lambda: convex_client(canary_deployment).start_push(push_body()))
    assert error.category == "unreachable"
    assert error.retryable is True


def test_a_hanging_deployment_is_a_timeout(canary_deployment: EmulatorDeployment) -> None:
    canary_deployment.set_fault("check_admin_key", hang=True)
    error = category_of(lambda: convex_client(canary_deployment, timeout=0.5).check_admin_key())
    assert error.category == "timeout"
    assert error.retryable is True


def test_slow_answers_past_the_read_timeout_are_a_timeout(
    canary_deployment: EmulatorDeployment,
) -> None:
    canary_deployment.set_fault("deploy2/start_push", latency_ms=1500)
    error = category_of(
        lambda: convex_client(canary_deployment, timeout=0.5).start_push(push_body())
    )
    assert error.category == "timeout"


def test_http_429_is_too_many_requests(canary_deployment: EmulatorDeployment) -> None:
    canary_deployment.set_fault(
        "deploy2/start_push", status=429, body={"code": "RateLimited", "message": "Slow down."}
    )
    error = category_of(lambda: convex_client(canary_deployment).start_push(push_body()))
    assert error.category == "too_many_requests"
    assert error.retryable is True


def test_a_schema_the_backend_refuses_is_schema_rejected_with_table_and_index(
    canary_deployment: EmulatorDeployment,
) -> None:
    body = push_body()
    schema = copy.deepcopy(body["appDefinition"]["schema"])
    source, count = re.subn(
        r'\.index\(\s*"[A-Za-z0-9_]+"', '.index("by_id"', schema["source"], count=1
    )
    assert count == 1, "the package's schema has no index to rename"
    body["appDefinition"]["schema"] = {**schema, "source": source}
    error = category_of(lambda: convex_client(canary_deployment).start_push(body))
    assert error.category == "schema_rejected"
    assert error.retryable is False
    assert error.index == "by_id"
    assert error.table


def test_a_failed_schema_wait_naming_a_table_is_existing_data_conflict(
    canary_deployment: EmulatorDeployment,
) -> None:
    canary_deployment.set_fault("deploy2/wait_for_schema", schema_failure="messages")
    with convex_client(canary_deployment) as client:
        started = client.start_push(push_body())
        error = category_of(lambda: client.wait_for_schema(started))
    assert error.category == "existing_data_conflict"
    assert error.table == "messages"
    assert "messages" in error.user_message


def test_a_schema_race_is_push_race(canary_deployment: EmulatorDeployment) -> None:
    canary_deployment.set_fault("deploy2/wait_for_schema", race=True)
    with convex_client(canary_deployment) as client:
        started = client.start_push(push_body())
        error = category_of(lambda: client.wait_for_schema(started))
    assert error.category == "push_race"
    assert error.retryable is True


def test_a_5xx_is_server_error(canary_deployment: EmulatorDeployment) -> None:
    canary_deployment.set_fault("deploy2/start_push", status=503)
    error = category_of(lambda: convex_client(canary_deployment).start_push(push_body()))
    assert error.category == "server_error"
    assert error.retryable is True


def test_an_answer_that_is_not_json_is_protocol_error(
    canary_deployment: EmulatorDeployment,
) -> None:
    canary_deployment.set_fault("check_admin_key", status=200, body="<html>a login page</html>")
    error = category_of(lambda: convex_client(canary_deployment).check_admin_key())
    assert error.category == "protocol_error"
    assert error.retryable is False


def test_a_redirect_is_never_followed(canary_deployment: EmulatorDeployment) -> None:
    canary_deployment.set_fault(
        "check_admin_key", status=302, body={"code": "Moved", "message": "elsewhere"}
    )
    error = category_of(lambda: convex_client(canary_deployment).check_admin_key())
    assert error.category == "protocol_error"
    assert "redirect" in error.detail


def test_a_paused_deployment_says_to_resume_it(canary_deployment: EmulatorDeployment) -> None:
    with convex_client(canary_deployment) as client:
        full_push(client)
        canary_deployment.set_fault("*", paused=True)
        error = category_of(lambda: client.query("meta:get", {}))
    assert "paused" in error.user_message
    assert error.retryable is False


def test_it_refuses_a_host_that_is_no_longer_allowed(
    canary_deployment: EmulatorDeployment, settings: Any
) -> None:
    client = convex_client(canary_deployment)
    settings.BYOD_ALLOWED_HOSTS = []
    with pytest.raises(InputError):
        client.check_admin_key()
    assert canary_deployment.pushes() == []


def test_the_key_never_shows_in_errors_or_repr(canary_deployment: EmulatorDeployment) -> None:
    canary_deployment.set_fault(
        "deploy2/start_push",
        status=500,
        body={"code": "InternalServerError", "message": f"echo {canary_deployment.admin_key}"},
    )
    client = convex_client(canary_deployment)
    error = category_of(lambda: client.start_push(push_body()))
    assert_no_canary(str(error), repr(error), error.detail, error.user_message, repr(client))


@pytest.mark.parametrize("key", ["prod:abc|" + "k" * 40, 'ünïcode "quoted" key', "x" * 70000])
def test_push_body_compressed_once_decodes_to_the_same_request(key: str) -> None:
    import json

    import brotli

    from byod.client import PushBody

    artifact = load_artifact(package.current_version())
    body = PushBody(artifact)
    plain = body.encode(key)
    assert brotli.decompress(body.encode_brotli(key)) == plain
    assert json.loads(plain) == {**artifact, "dryRun": False, "adminKey": key}


def test_finish_push_echoes_the_start_push_answer_as_it_came() -> None:
    import json

    from byod.client.push_body import StartedPush

    raw = b'{"schemaChange": {"schemaIds": {"": "push-1"}}, "analysis": {"x": [1, 2.50]}}'
    started = StartedPush(json.loads(raw), raw)
    assert started["schemaChange"] == {"schemaIds": {"": "push-1"}}
    request = started.finish_request('k"1', dry_run=True)
    assert raw in request
    assert json.loads(request) == {
        "adminKey": 'k"1',
        "startPush": json.loads(raw),
        "dryRun": True,
        "message": None,
    }
