"""The failure taxonomy as a table, and the retry schedule (no network needed)."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from byod.client.classify import classify
from byod.errors import CATEGORIES, ByodError, category
from byod.services.deploys.attempts import backoff_seconds


def answer(status: int, body: Any = None, **headers: str) -> httpx.Response:
    request = httpx.Request("POST", "http://deployment.test/api/deploy2/start_push")
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers, request=request)
    return httpx.Response(status, json=body, headers=headers, request=request)


@pytest.mark.parametrize(
    ("status", "body", "category"),
    [
        (401, {"code": "Unauthenticated", "message": "no"}, "bad_credentials"),
        (403, {"code": "BadDeployKey", "message": "no"}, "bad_credentials"),
        (404, {"code": "NotFound", "message": "nothing here"}, "deployment_not_found"),
        (429, {"code": "RateLimited", "message": "slow"}, "too_many_requests"),
        (
            400,
            {"code": "IndexNameReserved", "message": 'table "t" index "by_id"'},
            "schema_rejected",
        ),
        (400, {"code": "InvalidTableName", "message": "bad"}, "schema_rejected"),
        (
            400,
            {"code": "SchemaValidationFailed", "message": 'in table "m"'},
            "existing_data_conflict",
        ),
        (409, {"code": "RaceDetected", "message": "again"}, "push_race"),
        (400, {"code": "UnknownSchemaChange", "message": "start again"}, "push_race"),
        (500, {"code": "InternalServerError", "message": "oops"}, "server_error"),
        (502, "<html>bad gateway</html>", "server_error"),
        (400, {"code": "BadJsonBody", "message": "not json"}, "protocol_error"),
        (301, "", "protocol_error"),
        (418, "teapot", "protocol_error"),
    ],
)
def test_each_answer_maps_to_one_category(status: int, body: Any, category: str) -> None:
    error = classify(operation="start_push", response=answer(status, body))
    assert error.category == category
    assert error.retryable is CATEGORIES[category].retryable
    assert error.user_message


def test_schema_errors_name_their_table_and_index() -> None:
    body = {"code": "IndexNameReserved", "message": 'In table "notes" cannot name an index "by_id"'}
    error = classify(operation="start_push", response=answer(400, body))
    assert (error.table, error.index) == ("notes", "by_id")


def test_retry_after_is_kept_for_rate_limits() -> None:
    error = classify(operation="query", response=answer(429, {}, **{"Retry-After": "12"}))
    assert error.retry_after == 12.0
    assert backoff_seconds(1, error) >= 12.0


@pytest.mark.parametrize(
    ("exception", "category"),
    [
        (httpx.ConnectTimeout("slow"), "timeout"),
        (httpx.ReadTimeout("slow"), "timeout"),
        (httpx.ConnectError("refused"), "unreachable"),
        (httpx.RemoteProtocolError("closed"), "unreachable"),
        (httpx.ReadError("reset"), "unreachable"),
        (ValueError("Expecting value"), "protocol_error"),
    ],
)
def test_each_exception_maps_to_one_category(exception: Exception, category: str) -> None:
    assert classify(operation="x", exception=exception).category == category


def test_an_unknown_host_is_deployment_not_found() -> None:
    cause = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    error = httpx.ConnectError("dns")
    error.__cause__ = cause
    assert classify(operation="x", exception=error).category == "deployment_not_found"


def test_every_category_says_what_to_do_in_a_sentence() -> None:
    for code, kind in CATEGORIES.items():
        assert kind.code == code and kind.label
        message = kind.message_for(table="notes", index="by_user")
        assert message.endswith(".") and "{" not in message, code


def test_an_unknown_category_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown error category 'bogus'"):
        category("bogus")
    with pytest.raises(ValueError, match="bogus"):
        ByodError("bogus", "detail")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Cannot run functions while this deployment is paused. Resume the deployment in "
            "the dashboard settings to allow functions to run.",
            "paused",
        ),
        (
            "You have exceeded the free plan limits, so your deployments have been disabled.",
            "over_quota",
        ),
        ("Your team has exceeded your spending limits.", "over_quota"),
        ("This deployment has been suspended.", "over_quota"),
        ("Uncaught Error: Could not find public function for 'meta:get'", "protocol_error"),
    ],
)
def test_a_function_error_text_maps_to_one_category(text: str, expected: str) -> None:
    error = classify(operation="query meta:get", function_error=text)
    assert error.category == expected
    assert error.retryable is False


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings: Any) -> None:
    settings.BYOD_DEPLOY_RETRY_BASE_SECONDS = 10
    settings.BYOD_DEPLOY_RETRY_CAP_SECONDS = 100
    for attempt, full in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)]:
        delays = {backoff_seconds(attempt) for _ in range(50)}
        assert all(full / 2 <= d <= full for d in delays)
        assert len(delays) > 1  # jittered
