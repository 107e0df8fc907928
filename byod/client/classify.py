"""Every way talking to a Convex deployment can fail, mapped to a category of `byod.errors`.

`classify()` is the one place that turns a failure (an HTTP answer, a Convex error body,
an httpx exception, a failed schema wait, a function's error) into a `ConvexError`. What each
category tells the user and whether it is retryable lives in the table of `byod.errors`.
Nothing here ever sees the deploy key: the client scrubs texts before they reach a detail.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from typing import Any

import httpx

from byod.errors import (
    BAD_CREDENTIALS,
    DEPLOYMENT_NOT_FOUND,
    EXISTING_DATA_CONFLICT,
    OVER_QUOTA,
    PAUSED,
    PROTOCOL_ERROR,
    PUSH_RACE,
    SCHEMA_REJECTED,
    SERVER_ERROR,
    TIMEOUT,
    TOO_MANY_REQUESTS,
    UNREACHABLE,
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
_RATE_CODES = {"RateLimited", "TooManyRequests", "Overloaded"}
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


def classify(
    *,
    operation: str,
    response: httpx.Response | None = None,
    exception: BaseException | None = None,
    schema_status: dict[str, Any] | None = None,
    function_error: str | None = None,
    redact: Callable[[str], str] = str,
) -> ConvexError:
    """Map one failure to a ConvexError. The only place categories are decided.

    Exactly one of `response` (a non-2xx or otherwise unusable answer), `exception`
    (what httpx raised) or `schema_status` (a final `wait_for_schema` status other than
    `complete`) or `function_error` (the errorMessage of a query/mutation that answered
    `{"status": "error"}`) describes the failure; `operation` names the call for the detail.
    Every text taken from outside goes through `redact` first, before anything cuts it.
    """
    if function_error is not None:
        return _from_function_error(operation, redact(function_error))
    if schema_status is not None:
        error = schema_status.get("error")
        if isinstance(error, str):
            schema_status = {**schema_status, "error": redact(error)}
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
        if table:
            return ConvexError(
                EXISTING_DATA_CONFLICT,
                f"{operation}: existing documents fail the new schema: {message}",
                table=str(table),
            )
        return ConvexError(
            SCHEMA_REJECTED,
            f"{operation}: schema validation failed: {message}",
            table=_search(_TABLE_RE, message),
            index=_search(_INDEX_RE, message),
        )
    return ConvexError(PROTOCOL_ERROR, f"{operation}: unexpected schema status {kind!r}")


# What a paused or over-limit deployment answers to every function call (HTTP 200, an error
# text): matched loosely, since the wording is Convex's and may change.
_PAUSED = re.compile(r"\bpaused\b", re.IGNORECASE)
_OVER_QUOTA = re.compile(r"exceeded (?:the|your) [^.]*(?:limit|plan)|\bsuspended\b", re.IGNORECASE)


def _from_function_error(operation: str, message: str) -> ConvexError:
    if _PAUSED.search(message):
        return ConvexError(PAUSED, f"{operation}: deployment paused: {message}")
    if _OVER_QUOTA.search(message):
        return ConvexError(OVER_QUOTA, f"{operation}: deployment over its limits: {message}")
    # Our own package's function failed (or is missing): the deployment does not run the
    # code we expect, which is a protocol problem rather than something to retry.
    return ConvexError(PROTOCOL_ERROR, f"{operation}: function failed: {message}")


def _from_exception(
    operation: str, exc: BaseException, redact: Callable[[str], str]
) -> ConvexError:
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return ConvexError(TIMEOUT, f"{operation}: {name} ({_reason(exc, redact)})")
    if isinstance(exc, httpx.ConnectError):
        if _dns_name_unknown(exc):
            return ConvexError(
                DEPLOYMENT_NOT_FOUND, f"{operation}: the host name does not resolve ({name})"
            )
        return ConvexError(UNREACHABLE, f"{operation}: could not connect ({_reason(exc, redact)})")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        # The connection was dropped or reset mid-request: the network, not the answer.
        return ConvexError(UNREACHABLE, f"{operation}: connection dropped ({_reason(exc, redact)})")
    if isinstance(exc, httpx.DecodingError | ValueError):
        return ConvexError(PROTOCOL_ERROR, f"{operation}: unreadable answer ({name})")
    if isinstance(exc, httpx.TransportError):
        return ConvexError(UNREACHABLE, f"{operation}: transport error ({name})")
    return ConvexError(PROTOCOL_ERROR, f"{operation}: unexpected failure ({name})")


def _from_response(
    operation: str, response: httpx.Response, redact: Callable[[str], str]
) -> ConvexError:
    status = response.status_code
    code, message = _error_body(response, redact)
    said = f"HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    detail = f"{operation}: {said}"
    if 300 <= status < 400:
        return ConvexError(
            PROTOCOL_ERROR,
            f"{operation}: HTTP {status} redirect (redirects are never followed)",
        )
    if code in _RACE_CODES or code in _RESTART_PUSH_CODES:
        return ConvexError(PUSH_RACE, detail)
    if status == 429 or code in _RATE_CODES:
        return ConvexError(TOO_MANY_REQUESTS, detail, retry_after=_retry_after(response))
    if status in (401, 403) or code in _CREDENTIAL_CODES:
        return ConvexError(BAD_CREDENTIALS, detail)
    if status == 404 or code in _NOT_FOUND_CODES:
        return ConvexError(DEPLOYMENT_NOT_FOUND, detail)
    if status == 408:
        return ConvexError(TIMEOUT, detail)
    if status >= 500:
        return ConvexError(SERVER_ERROR, detail)
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


def _error_body(
    response: httpx.Response, redact: Callable[[str], str]
) -> tuple[str | None, str | None]:
    """The Convex error body's code and message, if the body is one."""
    try:
        body = response.json()
    except (ValueError, httpx.HTTPError):
        text = redact(response.text.strip()) if response.content else ""
        return None, text[:200] or None
    if not isinstance(body, dict):
        return None, None
    code = body.get("code")
    message = body.get("message") or body.get("error")
    return (
        redact(str(code))[:100] if code is not None else None,
        redact(str(message)) if message is not None else None,
    )


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _dns_name_unknown(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return current.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5))
        current = current.__cause__ or current.__context__
    return "Name or service not known" in str(exc)


def _reason(exc: BaseException, redact: Callable[[str], str]) -> str:
    text = redact(str(exc).strip())
    return text[:200] if text else type(exc).__name__


def _search(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1) if match else None
