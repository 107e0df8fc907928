"""Every way talking to a Convex deployment can fail, mapped to a category of `byod.errors`.

`classify()` is the one place that turns a failure (an HTTP answer, a Convex error body, a
network exception, an answer over its cap or unreadable, a failed schema wait, a function's
error and its `errorData`) into a `ConvexError`. What each category tells the user, its HTTP
status and whether it is retryable live in the table of `byod.errors`. Nothing here ever sees
the deploy key: texts from outside are cut, then scrubbed (`redact`), before a detail holds them.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpcore
import httpx

from byod.client.answers import ERROR_BODY_LIMIT, AnswerTooLarge, UnreadableAnswer, parse_json
from byod.errors import (
    ANSWER_TOO_LARGE,
    BAD_CREDENTIALS,
    DEPLOYMENT_NOT_FOUND,
    EXISTING_DATA_CONFLICT,
    INVALID_ARGUMENT,
    NOT_FOUND,
    OVER_QUOTA,
    OVERLOADED,
    PAUSED,
    PROTOCOL_ERROR,
    PUSH_RACE,
    REFUSED_BY_FUNCTION,
    SCHEMA_REJECTED,
    SERVER_ERROR,
    TIMEOUT,
    TOO_MANY_REQUESTS,
    UNREACHABLE,
    VALUE_REFUSED,
    ConvexError,
)

# Convex error-body codes (`{"code": ..., "message": ...}`) we recognise.
_CREDENTIAL_CODES = {
    "BadDeployKey",
    "BadAdminKey",
    "Unauthenticated",
    "Forbidden",
    "AccessDenied",
    "InvalidAdminKey",
    "ReadOnlyAdminKey",
}
_NOT_FOUND_CODES = {"DeploymentNotFound", "NoSuchDeployment", "InstanceNotFound", "NotFound"}
_RACE_CODES = {"RaceDetected", "OptimisticConcurrencyControlFailure"}
_BUSY_CODES = {"TooManyConcurrentRequests", "RateLimited", "TooManyRequests"}
_OVERLOAD_CODES = {"Overloaded", "ServiceOverloaded", "ServiceUnavailable", "WriteConflict"}
# Codes of Convex's own error answers besides those: with the sets above, what tells an answer
# of Convex from one of any other server (`ConvexError.code` is set only for these).
_OTHER_CONVEX_CODES = {"InternalServerError", "BadJsonBody", "BadRequest", "MethodNotAllowed"}
_PUSH_OPERATIONS = {"start_push", "evaluate_push", "wait_for_schema", "finish_push"}
# A 4xx whose code names a schema part is the deployment refusing our schema.
_SCHEMA_CODE = re.compile(r"Schema|Index|Table|Field|Vector|Search|Validator")
_SCHEMA_WORDS = re.compile(r"\b(schema|index|table|validator)\b", re.IGNORECASE)
# A push the deployment no longer knows (it restarted, or another push replaced it).
_RESTART_PUSH_CODES = {"UnknownSchemaChange"}
_TABLE_RE = re.compile(r"""\btable[\s:]+[`"']?([A-Za-z_][A-Za-z0-9_]*)""", re.IGNORECASE)
_INDEX_RE = re.compile(
    r"""\bindex[\s:]+[`"']?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)""",
    re.IGNORECASE,
)
# The most of a text from outside that a detail keeps, and of a ConvexError's data.
TEXT_LIMIT = 1000
DATA_LIMIT = 2048
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
# What our data functions throw, by `errorData.code`; any other code is a refusal of theirs.
# The package's data functions (v3 on, convex/dataLib.ts) name the category itself; a value
# too large for a transaction is refused (too_large).
_FUNCTION_CODES = {
    "NotFound": NOT_FOUND,
    "InvalidArgument": INVALID_ARGUMENT,
    NOT_FOUND: NOT_FOUND,
    INVALID_ARGUMENT: INVALID_ARGUMENT,
    "too_large": VALUE_REFUSED,
}
# Convex's own argument validation (a function called with arguments its validator refuses).
_ARGUMENTS = re.compile(r"ArgumentValidationError|Invalid arguments?\b", re.IGNORECASE)
ABSENT: Any = object()  # no errorData in a function's error answer


class HttpAnswer(Protocol):
    """What classify reads of a non-2xx answer (its body already cut)."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def content(self) -> bytes: ...


def classify(
    *,
    operation: str,
    response: HttpAnswer | None = None,
    exception: BaseException | None = None,
    schema_status: dict[str, Any] | None = None,
    function_error: str | None = None,
    error_data: Any = ABSENT,
    redact: Callable[[str], str] = str,
) -> ConvexError:
    """Map one failure to a ConvexError. The only place categories are decided.

    Exactly one of `response` (a non-2xx or otherwise unusable answer), `exception` (what the
    transport or the reading of an answer raised), `schema_status` (a final `wait_for_schema`
    status other than `complete`) or `function_error` (the errorMessage of a function that
    answered `{"status": "error"}`, with its `error_data` when it had some) describes the
    failure; `operation` names the call for the detail. Every text taken from outside is cut
    first, then goes through `redact`.
    """
    if function_error is not None:
        return _from_function_error(operation, _said(function_error, redact), error_data)
    if schema_status is not None:
        error = schema_status.get("error")
        if isinstance(error, str):
            schema_status = {**schema_status, "error": _said(error, redact)}
        return _from_schema_status(operation, schema_status)
    if exception is not None:
        return _from_exception(operation, exception, redact)
    if response is not None:
        return _from_response(operation, response, redact)
    return ConvexError(PROTOCOL_ERROR, f"{operation}: failure with nothing to classify")


def _from_schema_status(operation: str, status: dict[str, Any]) -> ConvexError:
    kind = status.get("type")
    if kind == "raceDetected":
        return ConvexError(PUSH_RACE, f"{operation}: schema was overwritten by another push")
    if kind == "failed":
        message = str(status.get("error") or "(no error message)")
        table = status.get("tableName") or None
        if isinstance(table, str) and _CODE.fullmatch(table):
            return ConvexError(
                EXISTING_DATA_CONFLICT,
                f"{operation}: existing documents fail the new schema: {message}",
                table=table,
            )
        return ConvexError(
            SCHEMA_REJECTED,
            f"{operation}: schema validation failed: {message}",
            table=_search(_TABLE_RE, message),
            index=_search(_INDEX_RE, message),
        )
    shown = str(kind)[:40] if isinstance(kind, str) else type(kind).__name__
    return ConvexError(PROTOCOL_ERROR, f"{operation}: unexpected schema status {shown!r}")


# What a paused or over-limit deployment answers to every function call (HTTP 200, an error
# text): matched loosely, since the wording is Convex's and may change.
_PAUSED = re.compile(r"\bpaused\b", re.IGNORECASE)
_OVER_QUOTA = re.compile(r"exceeded (?:the|your) [^.]*(?:limit|plan)|\bsuspended\b", re.IGNORECASE)


def _from_function_error(operation: str, message: str, data: Any) -> ConvexError:
    if data is not ABSENT and data is not None:
        return _from_error_data(operation, message, data)
    if _PAUSED.search(message):
        return ConvexError(PAUSED, f"{operation}: deployment paused: {message}")
    if _OVER_QUOTA.search(message):
        return ConvexError(OVER_QUOTA, f"{operation}: deployment over its limits: {message}")
    if _ARGUMENTS.search(message):
        return ConvexError(INVALID_ARGUMENT, f"{operation}: arguments refused: {message}")
    # Our own package's function failed (or is missing): the deployment does not run the
    # code we expect, which is a protocol problem rather than something to retry.
    return ConvexError(PROTOCOL_ERROR, f"{operation}: function failed: {message}")


def _from_error_data(operation: str, message: str, data: Any) -> ConvexError:
    """A `ConvexError` a function threw: its data's `code` decides (our data functions throw
    `{code, message, ...}`); the data is kept when small (already scrubbed with the answer)."""
    raw_code = data.get("code") if isinstance(data, dict) else None
    code = raw_code if isinstance(raw_code, str) and _CODE.fullmatch(raw_code) else None
    said = data.get("message") if isinstance(data, dict) else data
    text = said[:TEXT_LIMIT] if isinstance(said, str) else message
    kept = data if len(json.dumps(data)) <= DATA_LIMIT else None
    category = _FUNCTION_CODES.get(code or "", REFUSED_BY_FUNCTION)
    return ConvexError(
        category, f"{operation}: refused ({code or 'no code'}): {text}", code=code, data=kept
    )


def _from_exception(
    operation: str, exc: BaseException, redact: Callable[[str], str]
) -> ConvexError:
    name = type(exc).__name__
    if isinstance(exc, AnswerTooLarge):
        return ConvexError(ANSWER_TOO_LARGE, f"{operation}: {exc}")
    if isinstance(exc, httpx.TimeoutException | httpcore.TimeoutException | TimeoutError):
        return ConvexError(TIMEOUT, f"{operation}: {name} ({_reason(exc, redact)})")
    if isinstance(exc, httpx.ConnectError | httpcore.ConnectError):
        if _dns_name_unknown(exc):
            return ConvexError(
                DEPLOYMENT_NOT_FOUND, f"{operation}: the host name does not resolve ({name})"
            )
        return ConvexError(UNREACHABLE, f"{operation}: could not connect ({_reason(exc, redact)})")
    dropped = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
    if isinstance(exc, (*dropped, httpcore.RemoteProtocolError, httpcore.NetworkError)):
        # The connection was dropped or reset mid-request: the network, not the answer.
        return ConvexError(UNREACHABLE, f"{operation}: connection dropped ({_reason(exc, redact)})")
    if isinstance(exc, UnreadableAnswer):
        return ConvexError(PROTOCOL_ERROR, f"{operation}: unreadable answer ({exc})")
    if isinstance(exc, httpx.DecodingError | ValueError | RecursionError):
        return ConvexError(PROTOCOL_ERROR, f"{operation}: unreadable answer ({name})")
    if isinstance(exc, httpx.TransportError):
        return ConvexError(UNREACHABLE, f"{operation}: transport error ({name})")
    return ConvexError(PROTOCOL_ERROR, f"{operation}: unexpected failure ({name})")


def _from_response(
    operation: str, response: HttpAnswer, redact: Callable[[str], str]
) -> ConvexError:
    code, message = _error_body(response.content, redact)
    error = _categorised(operation, response, code, message)
    if _is_convex_code(code):
        error.code = code  # Convex itself answered (callers may tell it from any server)
    return error


def _is_convex_code(code: str | None) -> bool:
    known = (
        _CREDENTIAL_CODES
        | _NOT_FOUND_CODES
        | _RACE_CODES
        | _BUSY_CODES
        | _OVERLOAD_CODES
        | _RESTART_PUSH_CODES
        | _OTHER_CONVEX_CODES
    )
    return code is not None and (code in known or bool(_SCHEMA_CODE.search(code)))


def _categorised(
    operation: str, response: HttpAnswer, code: str | None, message: str | None
) -> ConvexError:
    status = response.status_code
    said = f"HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    detail = f"{operation}: {said}"
    wait = _retry_after(response.headers)
    if 300 <= status < 400:
        return ConvexError(
            PROTOCOL_ERROR,
            f"{operation}: HTTP {status} redirect (redirects are never followed)",
        )
    if code in _RACE_CODES or code in _RESTART_PUSH_CODES:
        # During a push, another push raced ours; anywhere else, two writes met (Convex's 503).
        busy = PUSH_RACE if operation in _PUSH_OPERATIONS else OVERLOADED
        return ConvexError(busy, detail, retry_after=wait)
    if status == 429 or code in _BUSY_CODES:
        return ConvexError(TOO_MANY_REQUESTS, detail, retry_after=wait)
    if code in _OVERLOAD_CODES or (status == 503 and code and code != "InternalServerError"):
        return ConvexError(OVERLOADED, detail, retry_after=wait)
    if status in (401, 403) or code in _CREDENTIAL_CODES:
        return ConvexError(BAD_CREDENTIALS, detail)
    if status == 404 or code in _NOT_FOUND_CODES:
        return ConvexError(DEPLOYMENT_NOT_FOUND, detail)
    if status == 408:
        return ConvexError(TIMEOUT, detail)
    if status >= 500:
        return ConvexError(SERVER_ERROR, detail, retry_after=wait)
    if 400 <= status < 500:
        table = _search(_TABLE_RE, message or "")
        if code == "SchemaValidationFailed" and table:
            return ConvexError(EXISTING_DATA_CONFLICT, detail, table=table)
        if (code and _SCHEMA_CODE.search(code)) or (
            not code and _SCHEMA_WORDS.search(message or "")
        ):
            return ConvexError(
                SCHEMA_REJECTED, detail, table=table, index=_search(_INDEX_RE, message or "")
            )
        return ConvexError(PROTOCOL_ERROR, detail)
    return ConvexError(PROTOCOL_ERROR, f"{operation}: unusable answer ({said})")


def _error_body(content: bytes, redact: Callable[[str], str]) -> tuple[str | None, str | None]:
    """The Convex error body's code and message, if the body is one. The body is cut before
    anything reads it (the client already cut it; this holds for any caller)."""
    content = content[:ERROR_BODY_LIMIT]
    try:
        body = parse_json(content)
    except UnreadableAnswer:
        text = redact(content.decode("utf-8", "replace").strip()[:TEXT_LIMIT])
        return None, text[:200] or None
    if not isinstance(body, dict):
        return None, None
    code = body.get("code")
    message = body.get("message") or body.get("error")
    return (
        _said(str(code), redact)[:100] if code is not None else None,
        _said(str(message), redact) if message is not None else None,
    )


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """The delay a 429 or 503 asked for, between 0 and an hour (a deployment may say anything)."""
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        seconds = float(str(raw)[:20])
    except ValueError:
        return None
    return min(3600.0, max(0.0, seconds)) if seconds == seconds else None  # NaN: none


def _dns_name_unknown(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return current.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5))
        current = current.__cause__ or current.__context__
    return "Name or service not known" in str(exc)


def _said(text: str, redact: Callable[[str], str]) -> str:
    """A text from outside, cut, then scrubbed (any piece of the key cut in two is still 8
    characters or more, or too short to be one)."""
    return redact(text[:TEXT_LIMIT])


def _reason(exc: BaseException, redact: Callable[[str], str]) -> str:
    text = _said(str(exc).strip(), redact)
    return text[:200] if text else type(exc).__name__


def _search(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1) if match else None
