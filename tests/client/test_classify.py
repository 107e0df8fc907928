"""Failures of data access, each to one category (no network needed), and the category table's
HTTP statuses and titles."""

from __future__ import annotations

from typing import Any

import httpcore
import pytest

from byod.client.answers import AnswerTooLarge, UnreadableAnswer
from byod.client.calls import ErrorAnswer
from byod.client.classify import DATA_LIMIT, classify
from byod.errors import CATEGORIES, RENAMED, category, find


def answer(status: int, body: bytes = b"", **headers: str) -> ErrorAnswer:
    return ErrorAnswer(status, {k.lower().replace("_", "-"): v for k, v in headers.items()}, body)


@pytest.mark.parametrize(
    ("data", "expected", "code"),
    [
        ({"code": "NotFound", "message": "no such note"}, "not_found", "NotFound"),
        ({"code": "InvalidArgument", "message": "too long"}, "invalid_argument", "InvalidArgument"),
        # The package's data functions (v3 on) name the category itself.
        ({"code": "not_found", "message": "no such note"}, "not_found", "not_found"),
        ({"code": "invalid_argument", "message": "x"}, "invalid_argument", "invalid_argument"),
        ({"code": "too_large", "message": "x"}, "value_refused", "too_large"),
        ({"code": "LimitReached", "message": "too many"}, "refused_by_function", "LimitReached"),
        ({"kind": "refused"}, "refused_by_function", None),
        ("a plain string", "refused_by_function", None),
        ({"code": "not a code!", "message": "x"}, "refused_by_function", None),
    ],
)
def test_a_convex_error_s_data_decides_its_category(
    data: Any, expected: str, code: str | None
) -> None:
    error = classify(operation="query notes:get", function_error="Uncaught", error_data=data)
    assert (error.category, error.code, error.data) == (expected, code, data)
    assert error.retryable is False


def test_large_error_data_is_not_kept_but_its_category_is() -> None:
    data = {"code": "NotFound", "message": "x", "padding": "p" * (DATA_LIMIT + 1)}
    error = classify(operation="query x", function_error="e", error_data=data)
    assert (error.category, error.code, error.data) == ("not_found", "NotFound", None)


def test_convex_s_argument_validation_is_an_invalid_argument() -> None:
    text = "ArgumentValidationError: Object is missing the required field `title`."
    error = classify(operation="mutation notes:add", function_error=text)
    assert (error.category, error.retryable) == ("invalid_argument", False)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (429, b'{"code": "TooManyConcurrentRequests", "message": "wait"}', "too_many_requests"),
        (429, b"", "too_many_requests"),
        (503, b'{"code": "Overloaded", "message": "busy"}', "overloaded"),
        (503, b'{"code": "OptimisticConcurrencyControlFailure", "message": "x"}', "overloaded"),
        (503, b'{"code": "InternalServerError", "message": "oops"}', "server_error"),
        (503, b"upstream down", "server_error"),
    ],
)
def test_busy_and_overloaded_are_told_apart(status: int, body: bytes, expected: str) -> None:
    error = classify(operation="query x", response=answer(status, body, retry_after="3"))
    assert error.category == expected
    assert error.retryable is True
    if expected != "server_error":
        assert error.retry_after == 3.0


def test_a_write_conflict_during_a_push_is_still_a_push_race() -> None:
    body = b'{"code": "OptimisticConcurrencyControlFailure", "message": "x"}'
    assert classify(operation="start_push", response=answer(409, body)).category == "push_race"


@pytest.mark.parametrize(("said", "kept"), [("1e308", 3600.0), ("nan", None), ("-5", 0.0)])
def test_a_retry_after_from_a_deployment_is_kept_within_an_hour(said: str, kept: Any) -> None:
    error = classify(operation="query x", response=answer(429, retry_after=said))
    assert error.retry_after == kept


def test_only_the_first_4_kb_of_an_error_body_is_read() -> None:
    body = b"x" * 10_000 + b" SchemaMarker"
    error = classify(operation="start_push", response=answer(400, body))
    assert "SchemaMarker" not in error.detail
    assert error.category == "protocol_error"


@pytest.mark.parametrize(
    ("exception", "expected"),
    [
        (AnswerTooLarge(100, decoded=True), "answer_too_large"),
        (UnreadableAnswer("NaN is not a number we accept"), "protocol_error"),
        (RecursionError(), "protocol_error"),
        (httpcore.ReadTimeout("deadline"), "timeout"),
        (httpcore.ConnectTimeout("slow"), "timeout"),
        (httpcore.ConnectError("refused"), "unreachable"),
        (httpcore.ReadError("reset"), "unreachable"),
        (httpcore.RemoteProtocolError("closed"), "unreachable"),
    ],
)
def test_each_reading_failure_maps_to_one_category(exception: Exception, expected: str) -> None:
    error = classify(operation="query x", exception=exception)
    assert error.category == expected
    assert error.category != "internal_error"


def test_every_category_has_an_http_status_and_a_title() -> None:
    for kind in CATEGORIES.values():
        assert 400 <= kind.status <= 599 and kind.title, kind.code
    wanted = {
        "not_found": 404,
        "invalid_argument": 400,
        "too_many_requests": 429,
        "overloaded": 503,
        "unreachable": 503,
        "timeout": 503,
        "protocol_error": 502,
        "answer_too_large": 502,
        "internal_error": 500,
    }
    assert {code: CATEGORIES[code].status for code in wanted} == wanted


def test_an_old_category_code_still_reads_as_what_it_became() -> None:
    assert RENAMED == {"rate_limited": "too_many_requests"}
    assert category("rate_limited") is CATEGORIES["too_many_requests"]
    assert find("rate_limited") is CATEGORIES["too_many_requests"]
    assert find("never_was") is None
