"""The one table of every failure category: its code, the words users read, its page title,
whether retrying can help, the form field it concerns and the HTTP status our views answer with.

`byod.errors` builds its error base on this table (and re-exports the codes, so callers name
them from there). A leaf: it imports nothing of the project.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    # What a failure of this category says about the deployment's state (its key, its
    # existence, paused, over its limits, not answering): a deploy that ends with it counts
    # toward health like a failed probe (byod.transitions.health).
    about_deployment: bool = False

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
# The data plane (byod.data): where a user's content lives and what it may hold.
NOT_CONNECTED = "not_connected"
UPDATE_NEEDED = "update_needed"
MOVING = "moving"
# Moves of content (byod.services.moves).
FOREIGN_CONTENT = "foreign_content"
MOVE_MISMATCH = "move_mismatch"
BLOBS_NOT_MOVED = "blobs_not_moved"
VALUE_REFUSED = "value_refused"
UNAVAILABLE_NOW = "unavailable_now"

# Codes rows may still hold from before a category was folded into another: they display as
# the category they became. 429 answers were all "rate_limited" before Convex's "too many
# concurrent requests" and "overloaded" were told apart.
RENAMED = {"rate_limited": TOO_MANY_REQUESTS}

_TABLE = [
    Category(
        BAD_CREDENTIALS, "Deploy key refused", "Your deploy key was refused", 502,
        "Your deployment refused the deploy key. Create a new deploy key in the Convex "
        "dashboard (Settings → URL & Deploy Key) and save it here.",
        retryable=False, field="deploy_key", about_deployment=True,
    ),
    Category(
        DEPLOYMENT_NOT_FOUND, "Deployment not found", "No deployment at this URL", 502,
        "No Convex deployment answers at this URL. Copy the deployment URL from the Convex "
        "dashboard (Settings → URL & Deploy Key) and save it here.",
        retryable=False, field="url", about_deployment=True,
    ),
    Category(
        UNREACHABLE, "Unreachable", "We could not reach your deployment", 503,
        "We could not reach your deployment. Check that the deployment is running and that "
        "its URL is right.", retryable=True, about_deployment=True,
    ),
    Category(
        TIMEOUT, "Timed out", "Your deployment did not answer in time", 503,
        "Your deployment took too long to answer. Check the deployment's health in the Convex "
        "dashboard.", retryable=True, about_deployment=True,
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
        "dashboard (Settings → Pause Deployment), then deploy again.",
        retryable=False, about_deployment=True,
    ),
    Category(
        OVER_QUOTA, "Over its plan's limits", "Your deployment is over its plan's limits", 503,
        "Your deployment is over its plan's limits (or suspended), so it refuses to run "
        "functions. Check your plan and usage in the Convex dashboard, then deploy again.",
        retryable=False, about_deployment=True,
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
    Category(
        NOT_CONNECTED, "No place for content", "There is no place to keep your content yet", 409,
        "There is no deployment to keep your content in yet. Connect your own Convex "
        "deployment on the settings page.", retryable=False,
    ),
    Category(
        UPDATE_NEEDED, "Update needed", "Your deployment needs an update", 409,
        "Your deployment runs a version of our package that cannot read or write content "
        "yet. Start the update on the settings page; your content is usable once it is done.",
        retryable=False,
    ),
    Category(
        MOVING, "Content moving", "Your content is being moved", 409,
        "Your content is being moved to another deployment, so it cannot be changed right "
        "now. Reading still works; try again once the move is done.", retryable=True,
    ),
    Category(
        FOREIGN_CONTENT, "Someone else's content there", "That deployment holds someone "
        "else's content", 409,
        "The deployment we would move your content to already holds content of another of "
        "our users, so nothing was moved. Connect a deployment of your own (an empty one).",
        retryable=False,
    ),
    Category(
        BLOBS_NOT_MOVED, "Files cannot move yet", "Your files cannot be moved yet", 409,
        "Some of your content holds uploaded files, and files cannot be moved between "
        "deployments yet, so nothing was moved. Your content stays where it is, and you can "
        "keep using it.", retryable=False,
    ),
    Category(
        MOVE_MISMATCH, "Copy differs", "The copy of your content did not match", 502,
        "After copying, the copy of your content{where} did not match the original, so we "
        "kept using the original and changed nothing else. You can try the move again.",
        retryable=False,
    ),
    Category(
        VALUE_REFUSED, "Value refused", "That value cannot be stored", 422,
        "A value cannot be stored in a Convex deployment as it is{where}; nothing was sent. "
        "Change it and try again.", retryable=False,
    ),
    Category(
        UNAVAILABLE_NOW, "Unavailable now", "Your deployment is unavailable right now", 503,
        "Your deployment failed recently, so we do not call it until a health check finds it "
        "working again. The settings page says why and what to do.", retryable=True,
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
