"""The blocker panel: what the content page shows instead of content, or beside a form, when
the deployment that holds the user's content cannot be used now.

One panel for every category (`byod.categories` gives its title and what to do), with the
same ways out: Retry, the settings page, and the Convex dashboard of the deployment when it is
the user's own. Two categories add their own: `update_needed` offers the settings page's
update action (the user's own deployment), `moving` says that writes wait for the move.
Nothing is ever read from or written to another place instead: content is in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from byod.errors import ByodError, find

MAIN = "main"
OWN = "own"
UPDATE_NEEDED = "update_needed"
MOVING = "moving"
NOT_CONNECTED = "not_connected"
DASHBOARD = "https://dashboard.convex.dev"
UNREACHABLE_TITLE = "Your content cannot be reached right now"
MAIN_WORDS = (
    "Your content is kept in our own deployment for now, and it cannot be used at the moment "
    "({label}). Our operators see this too; nothing is needed from you. Try again in a few "
    "minutes."
)
# Categories whose words are true wherever the content is (they are about the request, the
# location itself, or already name the main deployment: `update_needed` does, from byod.data).
SAID_FOR_EVERYONE = frozenset(
    {
        NOT_CONNECTED,
        UPDATE_NEEDED,
        MOVING,
        "value_refused",
        "invalid_argument",
        "invalid_input",
        "not_found",
    }
)


@dataclass(frozen=True)
class Blocker:
    """Why the page cannot read or write now, and what the user can do about it."""

    code: str
    title: str
    message: str
    retryable: bool
    status: int
    where: str  # "own", "main" or "" (no location: not connected)
    dashboard_url: str  # the user's own deployment in the Convex dashboard, or ""
    offer_update: bool  # update_needed on the user's own deployment: the settings' update action
    writes_wait: bool  # moving: reads go on, writes wait
    progress: str = ""  # moving: the settings page's progress line ("Moving your data: ...")

    @property
    def is_own(self) -> bool:
        return self.where == OWN


def dashboard_url(deployment_name: str) -> str:
    """The deployment's page in the Convex dashboard, or the dashboard's front page."""
    return f"{DASHBOARD}/d/{quote(deployment_name, safe='')}" if deployment_name else DASHBOARD


def blocker_for(
    error: ByodError, *, where: str = "", deployment_name: str = "", progress: str = ""
) -> Blocker:
    """The panel for `error` raised while reading or writing content at `where`."""
    kind = find(error.category)
    title = kind.title if kind is not None else UNREACHABLE_TITLE
    message = error.user_message
    if where == MAIN and error.category not in SAID_FOR_EVERYONE:
        # The category's words speak of the user's own deployment ("resume it in the Convex
        # dashboard"): the main deployment is ours, and only the operators can act on it.
        title = UNREACHABLE_TITLE
        label = kind.label.lower() if kind is not None else "it does not answer"
        message = MAIN_WORDS.format(label=label)
    if where == MAIN and error.category == UPDATE_NEEDED:
        title = "Your content is unavailable during an update"
    status = kind.status if kind is not None else 503
    return Blocker(
        code=error.category,
        title=title,
        message=message,
        retryable=error.retryable,
        status=status,
        where=where,
        dashboard_url=dashboard_url(deployment_name) if where == OWN else "",
        offer_update=error.category == UPDATE_NEEDED and where == OWN,
        writes_wait=error.category == MOVING,
        progress=progress if error.category == MOVING else "",
    )
