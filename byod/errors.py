"""Everything a user or an operator can be told about a failure: one base, one category table.

Every failure the product reports is a `ByodError`: a `category` (a stable code stored on
rows and shown to operators), a `user_message` (plain words saying what happens next and what
to do), a `detail` for operators (never a secret: callers scrub before they build one), a
`retryable` flag (whether trying the same thing again later can help) and, when the user
must change one input, the form `field` it is about.

`CATEGORIES` is the one table of every category: its default message, whether it is
retryable and which field it concerns. The kinds below (input, Convex, key, artifact, ...)
only choose a category and carry their own extra facts; views, admin and commands catch
`ByodError` and nothing narrower unless they treat a kind differently.

This module imports nothing from the project: everything else may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import InterfaceError, OperationalError

DETAIL_LIMIT = 500

# Our own database away for a moment (locked, its file gone, a restart): retried, never fatal.
TRANSIENT_DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class Category:
    """One kind of failure: its words for users and operators, its HTTP status, and whether
    retrying helps.

    `title` is the short heading pages show; `label` a few words for admin lists and filters;
    `message` says what happens next and what to do. `status` is what our own web views answer
    when they fail with this category (the data plane's views, later, will too).
    """

    code: str
    label: str  # a few plain words, for lists and filters
    title: str  # the heading a page shows, in the user's words
    status: int  # the HTTP status of our own answer when a view fails with it
    message: str  # may use {where} (" (table t, index i)") and {table}
    retryable: bool
    field: str | None = None  # the form field the user must change, if any

    def message_for(self, *, table: str | None = None, index: str | None = None) -> str:
        parts = [f"table {table}" if table else "", f"index {index}" if index else ""]
        shown = ", ".join(p for p in parts if p)
        where = f" ({shown})" if shown else ""
        return self.message.format(where=where, table=table or "(unknown)")


# --- the categories ----------------------------------------------------------------------------
# Talking to the deployment (decided by byod.client.classify).
BAD_CREDENTIALS = "bad_credentials"
DEPLOYMENT_NOT_FOUND = "deployment_not_found"
UNREACHABLE = "unreachable"
TIMEOUT = "timeout"
TOO_MANY_REQUESTS = "too_many_requests"
OVERLOADED = "overloaded"
ANSWER_TOO_LARGE = "answer_too_large"
SCHEMA_REJECTED = "schema_rejected"
EXISTING_DATA_CONFLICT = "existing_data_conflict"
PUSH_RACE = "push_race"
SERVER_ERROR = "server_error"
PROTOCOL_ERROR = "protocol_error"
PAUSED = "paused"
OVER_QUOTA = "over_quota"
# What a function of ours answered (a ConvexError's code, or Convex's argument validation).
NOT_FOUND = "not_found"
INVALID_ARGUMENT = "invalid_argument"
REFUSED_BY_FUNCTION = "refused_by_function"
# A health check found something other than our package on the deployment.
DRIFT = "drift"
# What the user typed, and where the server may connect.
INVALID_INPUT = "invalid_input"
DESTINATION_REFUSED = "destination_refused"
FOREIGN_TABLES = "foreign_tables"
# Ours: stored keys, builds, workers, status rules, bugs.
KEY_UNREADABLE = "key_unreadable"
KEY_MISSING = "key_missing"
ARTIFACT_MISSING = "artifact_missing"
NOT_ALLOWED = "not_allowed"
WORKER_LOST = "worker_lost"
DATABASE_UNAVAILABLE = "database_unavailable"
INTERNAL_ERROR = "internal_error"
# Data migrations (byod.services.migrations.run).
MIGRATION_FAILED = "migration_failed"
DOWNGRADE_REFUSED = "downgrade_refused"

# Codes rows may still hold from before a category was folded into another: they display as
# the category they became. 429 answers were all "rate_limited" before Convex's "too many
# concurrent requests" and "overloaded" were told apart.
RENAMED = {"rate_limited": TOO_MANY_REQUESTS}

_TABLE = [
    Category(
        BAD_CREDENTIALS, "Deploy key refused", "Your deploy key was refused", 502,
        "Your deployment refused the deploy key. Create a new deploy key in the Convex "
        "dashboard (Settings → URL & Deploy Key) and save it here.",
        retryable=False, field="deploy_key",
    ),
    Category(
        DEPLOYMENT_NOT_FOUND, "Deployment not found", "No deployment at this URL", 502,
        "No Convex deployment answers at this URL. Copy the deployment URL from the Convex "
        "dashboard (Settings → URL & Deploy Key) and save it here.", retryable=False, field="url",
    ),
    Category(
        UNREACHABLE, "Unreachable", "We could not reach your deployment", 503,
        "We could not reach your deployment. Check that the deployment is running and that "
        "its URL is right.", retryable=True,
    ),
    Category(
        TIMEOUT, "Timed out", "Your deployment did not answer in time", 503,
        "Your deployment took too long to answer. Check the deployment's health in the Convex "
        "dashboard.", retryable=True,
    ),
    Category(
        TOO_MANY_REQUESTS, "Too many requests", "Your deployment is busy", 429,
        "Your deployment is already running as many calls as it allows at once; we try again "
        "shortly. Nothing is needed from you.", retryable=True,
    ),
    Category(
        OVERLOADED, "Overloaded", "Your deployment is overloaded", 503,
        "Your deployment is overloaded, or two changes met at the same moment; we try again "
        "shortly. Nothing is needed from you.", retryable=True,
    ),
    Category(
        ANSWER_TOO_LARGE, "Answer too large", "Your deployment answered too much", 502,
        "Your deployment sent an answer far larger than we accept, so we stopped reading it. "
        "Check that the URL points at a Convex deployment directly (not through a proxy).",
        retryable=False,
    ),
    Category(
        SCHEMA_REJECTED, "Schema refused", "Your deployment refused our schema", 502,
        "Your deployment refused our schema{where}. Nothing was changed. Check that the "
        "deployment is not used by another project, then contact support with this message.",
        retryable=False,
    ),
    Category(
        EXISTING_DATA_CONFLICT, "Existing data conflicts",
        "Existing documents do not fit the schema", 502,
        "Documents already in your table {table} do not match the schema we need. Nothing "
        "was changed. Remove or fix those documents (or connect an empty deployment), then "
        "deploy again.", retryable=False,
    ),
    Category(
        PUSH_RACE, "Another push at the same time", "Someone else deployed at the same time", 503,
        "Someone else pushed to this deployment at the same moment. Make sure no other "
        "project (for example `npx convex dev`) deploys to it.", retryable=True,
    ),
    Category(
        SERVER_ERROR, "Deployment error", "Your deployment had an internal error", 502,
        "Your deployment had an internal error. If this persists, check the Convex status page.",
        retryable=True,
    ),
    Category(
        PROTOCOL_ERROR, "Unexpected answer", "Your deployment answered in an unexpected way", 502,
        "Your deployment answered in a way we did not expect. Check that the URL points at "
        "a Convex deployment directly (not through a proxy or redirect).", retryable=False,
    ),
    Category(
        PAUSED, "Deployment paused", "Your deployment is paused", 503,
        "Your deployment is paused, so it refuses to run functions. Resume it in the Convex "
        "dashboard (Settings → Pause Deployment), then deploy again.", retryable=False,
    ),
    Category(
        OVER_QUOTA, "Over its plan's limits", "Your deployment is over its plan's limits", 503,
        "Your deployment is over its plan's limits (or suspended), so it refuses to run "
        "functions. Check your plan and usage in the Convex dashboard, then deploy again.",
        retryable=False,
    ),
    Category(
        NOT_FOUND, "Not found", "Not found in your deployment", 404,
        "What was asked for is not in your deployment (it may have been deleted).", retryable=False,
    ),
    Category(
        INVALID_ARGUMENT, "Invalid argument", "Your deployment refused the request as invalid",
        400,
        "Your deployment refused the request: one of its values is not valid there.",
        retryable=False,
    ),
    Category(
        REFUSED_BY_FUNCTION, "Refused by our function", "Your deployment refused the request",
        422,
        "Our functions in your deployment refused the request; the details say why.",
        retryable=False,
    ),
    Category(
        DRIFT, "Drift", "Your deployment runs something else", 502,
        "Your deployment runs something other than the version we deployed (another project "
        "or build was pushed over ours). Redeploy to fix; waiting will not.", retryable=False,
    ),
    Category(
        INVALID_INPUT, "Invalid input", "Something you entered is not right", 400,
        "Check what you entered and try again.", retryable=False,
    ),
    Category(
        DESTINATION_REFUSED, "Destination refused", "We cannot connect to that address", 400,
        "This server will not connect to that address. Use your deployment's public "
        "https://<name>.convex.cloud URL.", retryable=False, field="url",
    ),
    Category(
        FOREIGN_TABLES, "Tables of another project",
        "The deployment holds another project's tables", 409,
        "This deployment already holds tables of another project. Connect an empty "
        "deployment, or confirm to deploy into it anyway.",
        retryable=False, field="confirm_foreign",
    ),
    Category(
        KEY_UNREADABLE, "Stored key unreadable", "We can no longer read your stored key", 500,
        "We can no longer read the deploy key we stored for you. Enter your deploy key "
        "again (Convex dashboard, Settings → URL & Deploy Key).",
        retryable=False, field="deploy_key",
    ),
    Category(
        KEY_MISSING, "No deploy key", "No deploy key is stored", 409,
        "There is no deploy key stored for this deployment. Connect it again.",
        retryable=False, field="deploy_key",
    ),
    Category(
        ARTIFACT_MISSING, "Version not built", "This version cannot be deployed right now", 500,
        "This version cannot be deployed right now; the operators have been told. Nothing "
        "was changed.", retryable=False,
    ),
    Category(
        NOT_ALLOWED, "Not possible now", "That is not possible right now", 409,
        "That cannot be done to this connection right now.", retryable=False,
    ),
    Category(
        WORKER_LOST, "Worker stopped", "The deploy was interrupted on our side", 503,
        "The worker running this deploy stopped before it finished. Nothing was lost.",
        retryable=True,
    ),
    Category(
        DATABASE_UNAVAILABLE, "Our database was away", "The deploy was interrupted on our side",
        503, "Our own database did not answer for a moment, so the deploy stopped where it was. "
        "Nothing was lost; it is tried again shortly.", retryable=True,
    ),
    Category(
        INTERNAL_ERROR, "Error on our side", "An error on our side stopped the deploy", 500,
        "The deploy stopped because of an error on our side. Nothing was changed on purpose; "
        "the operators have the details.", retryable=False,
    ),
    Category(
        MIGRATION_FAILED, "Data migration stopped", "Upgrading your documents stopped", 502,
        "Upgrading the documents of your table {table} stopped at one of them. Nothing was "
        "lost: meanwhile your deployment accepts both the old and the new form of its "
        "documents. Fix or remove that document (the details name it), then deploy again; "
        "the upgrade goes on from where it stopped.", retryable=False,
    ),
    Category(
        DOWNGRADE_REFUSED, "Cannot go back", "That older version cannot be deployed", 409,
        "That older version cannot hold the documents your deployment has now, so it was "
        "not deployed. Nothing was changed.", retryable=False,
    ),
]  # fmt: skip

CATEGORIES: dict[str, Category] = {c.code: c for c in _TABLE}


def find(code: str) -> Category | None:
    """The category `code` as stored on a row (a renamed one as what it became), or None."""
    return CATEGORIES.get(RENAMED.get(code, code))


def category(code: str) -> Category:
    """The category `code` (or what a renamed code became); an unknown code is a programming
    error (ValueError)."""
    found = find(code)
    if found is None:
        raise ValueError(f"unknown error category {code!r}")
    return found


def clip(text: str, limit: int = DETAIL_LIMIT) -> str:
    """`text` cut to `limit` characters with an ellipsis. Scrub secrets before clipping."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the base ----------------------------------------------------------------------------------


class ByodError(Exception):
    """A failure with a category, a message for the user, a detail for operators, a retry flag.

    `user_message`, `retryable` and `field` default to the category's. `table` / `index` name
    what a schema failure is about; `retry_after` is a delay in seconds the other side asked
    for, when it gave one.
    """

    def __init__(
        self,
        category_code: str,
        detail: str = "",
        *,
        user_message: str | None = None,
        retryable: bool | None = None,
        field: str | None = None,
        table: str | None = None,
        index: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        kind = category(category_code)
        self.category = kind.code
        self.user_message = user_message or kind.message_for(table=table, index=index)
        self.detail = clip(detail or self.user_message)
        self.retryable = kind.retryable if retryable is None else retryable
        self.field = kind.field if field is None else field
        self.table = table
        self.index = index
        self.retry_after = retry_after
        super().__init__(f"{self.category}: {self.detail}")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.category!r}, retryable={self.retryable}, "
            f"detail={self.detail!r})"
        )


# --- kinds -------------------------------------------------------------------------------------


class InputError(ByodError):
    """Bad user input for `field`; the message is safe to show on the form."""

    def __init__(self, field: str, message: str, *, category_code: str = INVALID_INPUT) -> None:
        super().__init__(category_code, message, user_message=message, field=field)

    @property
    def message(self) -> str:
        return self.user_message


class UnsafeDestination(InputError):
    """The host resolves to an address the server must not connect to (SSRF guard)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message, category_code=DESTINATION_REFUSED)


class HostNotFound(InputError):
    """DNS has no address for the host (a typo, or DNS trouble: retrying may help)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message, category_code=UNREACHABLE)


class ConvexError(ByodError):
    """A failure talking to a Convex deployment (built by `byod.client.classify`).

    A function that threw a `ConvexError` carries its data: `data` (JSON, bounded and scrubbed
    by the client) and `code`, the data's `code` field when it has one (our functions throw
    `{code: "NotFound" | "InvalidArgument" | ..., message}`). So does an error answer of Convex
    itself (`{"code": "BadAdminKey"}`: codes Convex uses only; without one, any server's).
    """

    def __init__(
        self, category_code: str, detail: str = "", *, code: str | None = None, data: Any = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(category_code, detail, **kwargs)
        self.code = code
        self.data = data


class KeyUnreadable(ByodError):
    """A stored deploy key cannot be opened (tampered, moved to another row, unknown key id)."""

    def __init__(self, detail: str) -> None:
        super().__init__(KEY_UNREADABLE, detail)


class NoDeployKey(ByodError):
    """The connection has no stored key (it was disconnected)."""

    def __init__(self, detail: str) -> None:
        super().__init__(KEY_MISSING, detail)


class ArtifactError(ByodError):
    """The build artifact of a version is missing or does not match its manifest."""

    def __init__(self, detail: str) -> None:
        super().__init__(ARTIFACT_MISSING, detail)


class ForeignTablesError(ByodError):
    """The deployment already holds tables that are not ours; the user must confirm."""

    def __init__(self, tables: list[str]) -> None:
        self.tables = tables
        shown = ", ".join(tables[:10]) + (" …" if len(tables) > 10 else "")
        message = (
            f"This deployment already has tables that are not part of our schema ({shown}). "
            "Deploying replaces its schema: those tables stay, but the project that uses them "
            "may stop deploying. Connect an empty deployment, or confirm to continue."
        )
        super().__init__(FOREIGN_TABLES, message, user_message=message)

    @property
    def message(self) -> str:
        return self.user_message


class NotAllowed(ByodError):
    """A status move (or an action) that the row's current status does not allow."""

    def __init__(self, detail: str, *, user_message: str | None = None) -> None:
        super().__init__(NOT_ALLOWED, detail, user_message=user_message)


class LeaseLost(ByodError):
    """Our lease on a connection expired and someone else took it over."""

    def __init__(self, detail: str) -> None:
        super().__init__(WORKER_LOST, detail)
