"""Every way talking to a Convex deployment can fail, as one value with a category.

`classify()` is the one place that turns a failure (an HTTP answer, a Convex error body,
an httpx exception, a failed schema wait) into a `ConvexError`: a category, a message for
the user saying what to do, a detail for operators, and whether retrying can help.
Nothing here ever sees the deploy key: the client scrubs it before building details.
"""

from __future__ import annotations

import re
import socket
from typing import Any

import httpx

BAD_CREDENTIALS = "bad_credentials"
DEPLOYMENT_NOT_FOUND = "deployment_not_found"
UNREACHABLE = "unreachable"
TIMEOUT = "timeout"
RATE_LIMITED = "rate_limited"
SCHEMA_REJECTED = "schema_rejected"
EXISTING_DATA_CONFLICT = "existing_data_conflict"
PUSH_RACE = "push_race"
SERVER_ERROR = "server_error"
PROTOCOL_ERROR = "protocol_error"

CATEGORIES: tuple[str, ...] = (
    BAD_CREDENTIALS,
    DEPLOYMENT_NOT_FOUND,
    UNREACHABLE,
    TIMEOUT,
    RATE_LIMITED,
    SCHEMA_REJECTED,
    EXISTING_DATA_CONFLICT,
    PUSH_RACE,
    SERVER_ERROR,
    PROTOCOL_ERROR,
)

# What the user can do about each category. Retryable categories say we retry for them.
USER_MESSAGES: dict[str, str] = {
    BAD_CREDENTIALS: (
        "Your deployment refused the deploy key. Create a new deploy key in the Convex "
        "dashboard (Settings > Deploy keys) and save it here."
    ),
    DEPLOYMENT_NOT_FOUND: (
        "No Convex deployment answers at this URL. Copy the deployment URL from the Convex "
        "dashboard (Settings > URL and deploy key) and save it here."
    ),
    UNREACHABLE: (
        "We could not reach your deployment. We will retry on our own; if this persists, "
        "check that the deployment is running and that its URL is right."
    ),
    TIMEOUT: (
        "Your deployment took too long to answer. We will retry on our own; if this persists, "
        "check the deployment's health in the Convex dashboard."
    ),
    RATE_LIMITED: (
        "Your deployment is limiting how fast we may call it. We will retry on our own a "
        "little later; nothing is needed from you."
    ),
    SCHEMA_REJECTED: (
        "Your deployment refused our schema{where}. Nothing was changed. Check that the "
        "deployment is not used by another project, then contact support with this message."
    ),
    EXISTING_DATA_CONFLICT: (
        "Documents already in your table {table} do not match the schema we need. Nothing "
        "was changed. Remove or fix those documents (or connect an empty deployment), then "
        "deploy again."
    ),
    PUSH_RACE: (
        "Someone else pushed to this deployment at the same moment. Make sure no other "
        "project (for example `npx convex dev`) deploys to it; we will retry on our own."
    ),
    SERVER_ERROR: (
        "Your deployment had an internal error. We will retry on our own; if this persists, "
        "check the Convex status page."
    ),
    PROTOCOL_ERROR: (
        "Your deployment answered in a way we did not expect. Check that the URL points at "
        "a Convex deployment directly (not through a proxy or redirect)."
    ),
}

RETRYABLE: dict[str, bool] = {
    BAD_CREDENTIALS: False,
    DEPLOYMENT_NOT_FOUND: False,
    UNREACHABLE: True,
    TIMEOUT: True,
    RATE_LIMITED: True,
    SCHEMA_REJECTED: False,
    EXISTING_DATA_CONFLICT: False,
    PUSH_RACE: True,
    SERVER_ERROR: True,
    PROTOCOL_ERROR: False,
}

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
_DETAIL_LIMIT = 500


class ConvexError(Exception):
    """A failure talking to a Convex deployment, as a value with a category.

    `user_message` is safe to show to the user and says what to do; `detail` is for
    operators (never contains the deploy key); `retryable` says whether trying again
    later can help. `table` / `index` name what a schema failure is about, when known.
    `retry_after` is a delay in seconds the deployment asked for, when it gave one.
    """

    def __init__(
        self,
        category: str,
        user_message: str,
        detail: str,
        retryable: bool,
        table: str | None = None,
        index: str | None = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        if category not in CATEGORIES:
            raise ValueError(f"unknown Convex error category {category!r}")
        super().__init__(f"{category}: {detail}")
        self.category = category
        self.user_message = user_message
        self.detail = detail
        self.retryable = retryable
        self.table = table
        self.index = index
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"ConvexError({self.category!r}, retryable={self.retryable}, detail={self.detail!r})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "user_message": self.user_message,
            "detail": self.detail,
            "retryable": self.retryable,
            "table": self.table,
            "index": self.index,
        }


def make_error(
    category: str,
    detail: str,
    *,
    table: str | None = None,
    index: str | None = None,
    retry_after: float | None = None,
    retryable: bool | None = None,
) -> ConvexError:
    """Build a ConvexError with the category's standard user message and retry flag."""
    where = ""
    if table and index:
        where = f" (table {table}, index {index})"
    elif table:
        where = f" (table {table})"
    elif index:
        where = f" (index {index})"
    message = USER_MESSAGES[category].format(where=where, table=table or "(unknown)")
    return ConvexError(
        category,
        message,
        _clip(detail),
        RETRYABLE[category] if retryable is None else retryable,
        table,
        index,
        retry_after=retry_after,
    )


def classify(
    *,
    operation: str,
    response: httpx.Response | None = None,
    exception: BaseException | None = None,
    schema_status: dict[str, Any] | None = None,
    function_error: str | None = None,
) -> ConvexError:
    """Map one failure to a ConvexError. The only place categories are decided.

    Exactly one of `response` (a non-2xx or otherwise unusable answer), `exception`
    (what httpx raised) or `schema_status` (a final `wait_for_schema` status other than
    `complete`) or `function_error` (the errorMessage of a query/mutation that answered
    `{"status": "error"}`) describes the failure; `operation` names the call for the detail.
    """
    if function_error is not None:
        return _from_function_error(operation, function_error)
    if schema_status is not None:
        return _from_schema_status(operation, schema_status)
    if exception is not None:
        return _from_exception(operation, exception)
    if response is not None:
        return _from_response(operation, response)
    return make_error(PROTOCOL_ERROR, f"{operation}: failure with nothing to classify")


def _from_schema_status(operation: str, status: dict[str, Any]) -> ConvexError:
    kind = status.get("type")
    if kind == "raceDetected":
        return make_error(PUSH_RACE, f"{operation}: schema was overwritten by another push")
    if kind == "failed":
        message = str(status.get("error") or "(no error message)")
        table = status.get("tableName") or None
        if table:
            return make_error(
                EXISTING_DATA_CONFLICT,
                f"{operation}: existing documents fail the new schema: {message}",
                table=str(table),
            )
        return make_error(
            SCHEMA_REJECTED,
            f"{operation}: schema validation failed: {message}",
            table=_search(_TABLE_RE, message),
            index=_search(_INDEX_RE, message),
        )
    return make_error(PROTOCOL_ERROR, f"{operation}: unexpected schema status {kind!r}")


def _from_function_error(operation: str, message: str) -> ConvexError:
    if "paused" in message.lower():
        error = make_error(SERVER_ERROR, f"{operation}: deployment paused: {message}")
        error.retryable = False
        error.user_message = (
            "Your deployment is paused, so it refuses to run functions. Resume it in the "
            "Convex dashboard (Settings > Pause deployment), then deploy again."
        )
        return error
    # Our own package's function failed (or is missing): the deployment does not run the
    # code we expect, which is a protocol problem rather than something to retry.
    return make_error(PROTOCOL_ERROR, f"{operation}: function failed: {message}")


def _from_exception(operation: str, exc: BaseException) -> ConvexError:
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return make_error(TIMEOUT, f"{operation}: {name} ({_reason(exc)})")
    if isinstance(exc, httpx.ConnectError):
        if _dns_name_unknown(exc):
            return make_error(
                DEPLOYMENT_NOT_FOUND, f"{operation}: the host name does not resolve ({name})"
            )
        return make_error(UNREACHABLE, f"{operation}: could not connect ({_reason(exc)})")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        # The connection was dropped or reset mid-request: the network, not the answer.
        return make_error(UNREACHABLE, f"{operation}: connection dropped ({_reason(exc)})")
    if isinstance(exc, httpx.DecodingError | ValueError):
        return make_error(PROTOCOL_ERROR, f"{operation}: unreadable answer ({name})")
    if isinstance(exc, httpx.TransportError):
        return make_error(UNREACHABLE, f"{operation}: transport error ({name})")
    return make_error(PROTOCOL_ERROR, f"{operation}: unexpected failure ({name})")


def _from_response(operation: str, response: httpx.Response) -> ConvexError:
    status = response.status_code
    code, message = _error_body(response)
    said = f"HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    detail = f"{operation}: {said}"
    if 300 <= status < 400:
        return make_error(
            PROTOCOL_ERROR,
            f"{operation}: HTTP {status} redirect (redirects are never followed)",
        )
    if code in _RACE_CODES or code in _RESTART_PUSH_CODES:
        return make_error(PUSH_RACE, detail)
    if status == 429 or code in _RATE_CODES:
        return make_error(RATE_LIMITED, detail, retry_after=_retry_after(response))
    if status in (401, 403) or code in _CREDENTIAL_CODES:
        return make_error(BAD_CREDENTIALS, detail)
    if status == 404 or code in _NOT_FOUND_CODES:
        return make_error(DEPLOYMENT_NOT_FOUND, detail)
    if status == 408:
        return make_error(TIMEOUT, detail)
    if status >= 500:
        return make_error(SERVER_ERROR, detail)
    if 400 <= status < 500:
        table = _search(_TABLE_RE, message or "")
        if code == "SchemaValidationFailed" and table:
            return make_error(EXISTING_DATA_CONFLICT, detail, table=table)
        if (code and _SCHEMA_CODE.search(code)) or (
            not code and _SCHEMA_WORDS.search(message or "")
        ):
            return make_error(
                SCHEMA_REJECTED, detail, table=table, index=_search(_INDEX_RE, message or "")
            )
        return make_error(PROTOCOL_ERROR, detail)
    return make_error(PROTOCOL_ERROR, f"{operation}: unusable answer ({said})")


def _error_body(response: httpx.Response) -> tuple[str | None, str | None]:
    """The Convex error body's code and message, if the body is one."""
    try:
        body = response.json()
    except (ValueError, httpx.HTTPError):
        text = response.text.strip() if response.content else ""
        return None, text[:200] or None
    if not isinstance(body, dict):
        return None, None
    code = body.get("code")
    message = body.get("message") or body.get("error")
    return (
        str(code) if code is not None else None,
        str(message) if message is not None else None,
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


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text[:200] if text else type(exc).__name__


def _search(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match.group(1) if match else None


def _clip(text: str) -> str:
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 1] + "…"
