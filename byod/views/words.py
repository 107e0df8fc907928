"""The plain words users read on the settings page.

Operators keep the codes (error categories, event kinds, phases) in the admin and the logs;
users read sentences. Nothing here may name a setting, a script or a code: a test holds every
sentence to that.
"""

from __future__ import annotations

from byod.errors import INTERNAL_ERROR, OVER_QUOTA, PAUSED, find
from byod.models import DeployPhase, EventKind, MoveDirection

# What a running deploy is doing, by the phase its worker records (`DeployPhase`): one sentence
# per member (a test holds the table to the enum), "Working" for none.
P = DeployPhase
PHASES: dict[str, str] = {
    "": "Waiting for a worker to start",
    P.QUEUED: "Waiting for a worker to start",
    P.STARTING: "Starting",
    P.PREPARING_MIGRATIONS: "Preparing to upgrade your documents",
    P.PUSHING_EXPANDED: "Preparing your documents for the new version",
    P.COUNTING: "Counting the documents to upgrade",
    P.MIGRATING: "Upgrading your documents",
    P.MIGRATING_AGAIN: "Upgrading documents that arrived meanwhile",
    P.UPLOADING: "Sending our functions and schema",
    P.UPLOADING_AGAIN: "Sending our functions and schema again",
    P.WAITING_FOR_SCHEMA: "Waiting for your deployment to accept the schema",
    P.BACKFILLING_INDEXES: "Building indexes",
    P.VALIDATING_DOCUMENTS: "Checking your existing documents against the schema",
    P.FINISHING_SCHEMA: "Finishing the schema",
    P.FINISHING_PUSH: "Switching your deployment to the new version",
    P.RECORDING_VERSION: "Recording the version in your deployment",
    P.VERIFIED: "Done: version recorded",
    P.WAITING_TO_RETRY: "Waiting to try again",
    P.EVALUATING: "Checking the new version without changing anything",
    P.DRY_RUN_COUNTING: "Counting what an upgrade would change",
    P.DRY_RUN_EVALUATED: "Check finished",
    P.DONE: "Done",
}


def phase_words(phase: str) -> str:
    return PHASES.get(phase or "", "Working")


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
# (e.g. EventKind.DEPLOY_RUNNING, EventKind.DEPLOY_QUEUED from a rollout) are operator detail.
EVENTS: dict[str, str] = {
    EventKind.CONNECTION_CREATED: "You connected the deployment.",
    EventKind.CONNECTION_CREDENTIALS_CHANGED: "The deploy key or URL was changed.",
    EventKind.CONNECTION_DISCONNECTED: "You disconnected; we erased the deploy key.",
    EventKind.CONNECTION_CONNECTED: "Connected and up to date.",
    EventKind.CONNECTION_ERROR: "The connection needs attention.",
    EventKind.DEPLOY_QUEUED: "A deploy was requested.",
    EventKind.DEPLOY_SUCCEEDED: "Deploy finished.",
    EventKind.DEPLOY_FAILED: "Deploy failed.",
    EventKind.DEPLOY_RETRY_SCHEDULED: "A deploy attempt failed; we scheduled another.",
    EventKind.DEPLOY_CANCELLED: "A deploy was cancelled.",
    EventKind.DEPLOY_SUPERSEDED: "A deploy was replaced by a newer one.",
    EventKind.HEALTH_HEALTHY: "A health check passed.",
    EventKind.HEALTH_DEGRADED: "A health check failed; we check again soon.",
    EventKind.HEALTH_UNHEALTHY: "Your deployment became unhealthy.",
    EventKind.HEALTH_RECOVERED: "Your deployment is healthy again.",
    EventKind.HEALTH_DRIFT: "Your deployment runs something other than our version.",
    EventKind.HEALTH_REASON_CHANGED: "The health problem changed.",
    EventKind.MIGRATION_STARTED: "Started upgrading your documents.",
    EventKind.MIGRATION_SUCCEEDED: "Your documents were upgraded.",
    EventKind.MIGRATION_FAILED: "Upgrading your documents stopped.",
    EventKind.MIGRATION_INTERRUPTED: (
        "Upgrading your documents paused; it goes on with the next attempt."
    ),
    # Moves: these are the words when the move's direction is unknown; `move_sentence` names it.
    EventKind.MOVE_QUEUED: "Moving your data started.",
    EventKind.MOVE_WAITING: "Moving your data waits for your deployment; we try again on our own.",
    EventKind.MOVE_DONE: "Your data was moved and verified.",
    EventKind.MOVE_FAILED: "Moving your data failed; it stays where it was.",
    EventKind.MOVE_CANCELLED: "Moving your data was given up; it stays where it was.",
    EventKind.MOVE_PURGED: "The old copy of your data was removed.",
}
# Health changes a deploy found (``data["source"] == "deploy"``), not a check.
FOUND_BY_DEPLOY: dict[str, str] = {
    EventKind.HEALTH_HEALTHY: "A deploy found your deployment healthy again.",
    EventKind.HEALTH_DEGRADED: "A deploy got no answer in time; we check again soon.",
    EventKind.HEALTH_UNHEALTHY: "A deploy found your deployment unhealthy.",
    EventKind.HEALTH_RECOVERED: "A deploy made your deployment healthy again.",
    EventKind.HEALTH_REASON_CHANGED: "A deploy found another health problem.",
}

# Not in the history: the connection's own status words (the page says them), the start of a
# data upgrade (its outcome is the one row each upgrade gets), and a move's steps between its
# start and its end (running, writes paused, verifying, a lost worker: the move panel shows
# them while it runs; the location change is the finished move's own row).
SHOWN_EVENTS = tuple(
    k
    for k in EVENTS
    if k
    not in (EventKind.CONNECTION_CONNECTED, EventKind.CONNECTION_ERROR, EventKind.MIGRATION_STARTED)
)


def event_sentence(kind: str, source: str = "") -> str:
    """The sentence of an Event of `kind`; `source` "deploy" for a health change a deploy found."""
    if source == "deploy" and kind in FOUND_BY_DEPLOY:
        return FOUND_BY_DEPLOY[kind]
    return EVENTS.get(kind, "")


# One row per data upgrade, naming its table; a way back says so.
MIGRATION_OUTCOMES: dict[tuple[str, str], str] = {
    (EventKind.MIGRATION_SUCCEEDED, "up"): "Your {table} were upgraded to version {version}.",
    (EventKind.MIGRATION_SUCCEEDED, "down"): "Your {table} were downgraded to version {version}.",
    (EventKind.MIGRATION_FAILED, "up"): "Upgrading your {table} to version {version} stopped.",
    (EventKind.MIGRATION_FAILED, "down"): (
        "Downgrading your {table} to version {version} stopped."
    ),
    (EventKind.MIGRATION_INTERRUPTED, "up"): (
        "Upgrading your {table} paused; it goes on with the next attempt."
    ),
    (EventKind.MIGRATION_INTERRUPTED, "down"): (
        "Downgrading your {table} paused; it goes on with the next attempt."
    ),
}


def migration_sentence(kind: str, table: str, direction: str, version: int) -> str:
    """A data upgrade's outcome with its table: "Your conversations were upgraded to version
    2." A way back reads "downgraded" (to the version before the one that declares it)."""
    said = MIGRATION_OUTCOMES.get((kind, "down" if direction == "down" else "up"))
    if said is None or not table:
        return event_sentence(kind)
    target = version - 1 if direction == "down" else version
    return said.format(table=table, version=target)


def deploy_sentence(kind: str, from_version: int | None, to_version: int) -> str:
    """A finished deploy that went back a version says so."""
    back = from_version is not None and to_version < from_version
    if back and kind == EventKind.DEPLOY_SUCCEEDED:
        return f"Downgraded to version {to_version}."
    if back and kind == EventKind.DEPLOY_FAILED:
        return f"Going back to version {to_version} failed."
    return event_sentence(kind)


def after_title(title: str, message: str) -> str:
    """`message` without a first sentence that only says `title` again ("We could not reach
    your deployment. Check..." under the title "We could not reach your deployment")."""
    plain = title.strip().rstrip(".").lower()
    text = message.strip()
    for end in (". ", "; "):
        head, sep, rest = text.partition(end)
        if sep and head.strip().lower() == plain and rest.strip():
            rest = rest.strip()
            return rest[0].upper() + rest[1:]
    return text


# A move, by its direction: what it does ("... started", "... failed"), then how it ended well.
MOVE_WHAT: dict[str, str] = {
    MoveDirection.IN: "Moving your data in",
    MoveDirection.BACK: "Bringing your data back",
    MoveDirection.DELETE: "Deleting your data in your deployment",
}
# A move back on the way to a new deployment of the user's (new credentials, "move it there").
SWITCH_WHAT = "Moving your data to your new deployment (step 1 of 2, by the main deployment)"
MOVE_DONE: dict[str, str] = {
    MoveDirection.IN: "Your data was moved in: {documents}, verified.",
    MoveDirection.BACK: "Your data was brought back to the main deployment: {documents}, verified.",
    MoveDirection.DELETE: "Your data in your deployment was deleted: {documents}.",
}
SWITCH_DONE = (
    "Step 1 of 2 done: your data is in the main deployment ({documents}, verified); it moves "
    "into your new deployment after our first deploy there."
)
# What to do after a failed move, where the category's own advice speaks of deploys.
MOVE_ADVICE: dict[str, str] = {
    PAUSED: "Resume your deployment in the Convex dashboard, then ask for the move again.",
    OVER_QUOTA: "Check your plan and usage in the Convex dashboard, then ask for the move again.",
}
MOVE_ADVICE_AFTER_RETRIES = "Once your deployment answers again, ask for the move again."
MOVE_ADVICE_OURS = "An error on our side stopped it; the operators have the details."
MOVE_ADVICE_ANY = "Once the problem is fixed, you can ask for the move again."


def documents(n: int) -> str:
    return f"{n:,} document" if n == 1 else f"{n:,} documents"


def move_failure(code: str) -> str:
    """What to do after a move failed with the category `code`: the category's advice where it
    fits a move (it already tried again on its own where trying again could help)."""
    kind = find(code)
    if kind is None or kind.code == INTERNAL_ERROR:
        return MOVE_ADVICE_OURS
    if kind.code in MOVE_ADVICE:
        return MOVE_ADVICE[kind.code]
    if kind.retryable:
        return MOVE_ADVICE_AFTER_RETRIES
    advice = kind.message_for()
    return MOVE_ADVICE_ANY if "deploy again" in advice or "the deploy" in advice else advice


def move_sentence(
    kind: str, direction: str, *, switching: bool = False, data: dict[str, object] | None = None
) -> str:
    """A move's row in the history: "Moving your data in started.", "Your data was moved in:
    18,834 documents, verified.", "Bringing your data back failed: <what to do>"."""
    data = data or {}
    if direction not in MOVE_WHAT:
        return event_sentence(kind)
    switching = switching and direction == MoveDirection.BACK
    what = SWITCH_WHAT if switching else MOVE_WHAT[direction]
    count = int(str(data.get("documents") or 0))
    if kind == EventKind.MOVE_QUEUED:
        return f"{what} started."
    if kind == EventKind.MOVE_DONE:
        said = SWITCH_DONE if switching else MOVE_DONE[direction]
        return said.format(documents=documents(count))
    if kind == EventKind.MOVE_FAILED:
        advice = move_failure(str(data.get("category") or ""))
        return f"{what} failed: {advice[:1].lower()}{advice[1:]}"
    if kind == EventKind.MOVE_CANCELLED:
        return f"{what} was given up; your data stays where it was."
    if kind == EventKind.MOVE_WAITING:
        return f"{what} waits for your deployment; we try again on our own."
    if kind == EventKind.MOVE_PURGED:
        removed = int(str(data.get("removed") or 0))
        if removed:
            return f"The old copy of your data was removed ({documents(removed)})."
        return "The old copy of your data was not removed; it stays where it was."
    return event_sentence(kind)
