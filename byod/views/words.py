"""The plain words users read on the settings page.

Operators keep the codes (error categories, event kinds, phases) in the admin and the logs;
users read sentences. Nothing here may name a setting, a script or a code: a test holds every
sentence to that.
"""

from __future__ import annotations

from byod.errors import find

# What a running deploy is doing, by the phase the worker records (byod.services.push,
# byod.client.admin_api.SchemaProgress, byod.transitions). Unknown phases fall back to a prefix
# match, then to "Working".
PHASES: dict[str, str] = {
    "": "Waiting for a worker to start",
    "queued": "Waiting for a worker to start",
    "uploading package": "Sending our functions and schema",
    "uploading package again": "Sending our functions and schema again",
    "waiting for schema": "Waiting for your deployment to accept the schema",
    "backfilling indexes": "Building indexes",
    "validating documents": "Checking your existing documents against the schema",
    "finishing schema": "Finishing the schema",
    "finishing push": "Switching your deployment to the new version",
    "recording version": "Recording the version in your deployment",
    "version recorded and verified": "Done: version recorded",
    "waiting to retry": "Waiting to try again",
    "evaluating push (dry run)": "Checking the new version without changing anything",
    "dry run evaluated": "Check finished",
    "done": "Done",
}
_PHASE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("pushing the expanded schema", "Preparing your documents for the new version"),
    ("counting ", "Counting the documents to upgrade"),
    ("migrating again", "Upgrading documents that arrived meanwhile"),
    ("migrating ", "Upgrading your documents"),
    ("dry run ", "Counting what an upgrade would change"),
)


def phase_words(phase: str) -> str:
    key = (phase or "").strip().lower()
    if key in PHASES:
        return PHASES[key]
    for prefix, words in _PHASE_PREFIXES:
        if key.startswith(prefix):
            return words
    return "Working"


def error_title(code: str) -> str:
    """The heading a page shows for the error category `code` (byod.errors holds the titles);
    a code no category knows any more still reads as something."""
    kind = find(code)
    return kind.title if kind else "Something went wrong"


def count_failure(code: str) -> str:
    """Why counting the documents failed, and what to do: the category's title, then its
    advice (which speaks of deploys only where the advice is the same for a count)."""
    kind = find(code)
    if kind is None or kind.code == "internal_error":
        return "An error on our side stopped the count; the operators have the details."
    if kind.retryable:
        return f"{error_title(code)}. Try counting again in a few minutes."
    if code == "paused":
        return f"{error_title(code)}. Resume it in the Convex dashboard, then count again."
    return f"{error_title(code)}. {kind.message_for()}"


# One sentence per audit Event kind the user caused or suffered. Kinds not listed here
# (e.g. "deploy.running", "deploy.queued" from a rollout) are operator detail.
EVENTS: dict[str, str] = {
    "connection.created": "You connected the deployment.",
    "connection.credentials_changed": "The deploy key or URL was changed.",
    "connection.disconnected": "You disconnected; we erased the deploy key.",
    "connection.connected": "Connected and up to date.",
    "connection.error": "The connection needs attention.",
    "deploy.queued": "A deploy was requested.",
    "deploy.succeeded": "Deploy finished.",
    "deploy.failed": "Deploy failed.",
    "deploy.retry_scheduled": "A deploy attempt failed; we scheduled another.",
    "deploy.cancelled": "A deploy was cancelled.",
    "deploy.superseded": "A deploy was replaced by a newer one.",
    "health.healthy": "A health check passed.",
    "health.degraded": "A health check failed; we check again soon.",
    "health.unhealthy": "Your deployment became unhealthy.",
    "health.recovered": "Your deployment is healthy again.",
    "health.drift": "Your deployment runs something other than our version.",
    "health.reason_changed": "The health problem changed.",
    "migration.started": "Started upgrading your documents.",
    "migration.succeeded": "Your documents were upgraded.",
    "migration.failed": "Upgrading your documents stopped.",
    "migration.interrupted": "Upgrading your documents paused; it goes on with the next attempt.",
}
SHOWN_EVENTS = tuple(k for k in EVENTS if k not in ("connection.connected", "connection.error"))


def event_sentence(kind: str) -> str:
    return EVENTS.get(kind, "")
