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

    @property
    def is_own(self) -> bool:
        return self.where == OWN


def dashboard_url(deployment_name: str) -> str:
    """The deployment's page in the Convex dashboard, or the dashboard's front page."""
    return f"{DASHBOARD}/d/{quote(deployment_name, safe='')}" if deployment_name else DASHBOARD


def blocker_for(error: ByodError, *, where: str = "", deployment_name: str = "") -> Blocker:
    """The panel for `error` raised while reading or writing content at `where`."""
    kind = find(error.category)
    title = kind.title if kind is not None else "Your content cannot be reached right now"
    status = kind.status if kind is not None else 503
    return Blocker(
        code=error.category,
        title=title,
        message=error.user_message,
        retryable=error.retryable,
        status=status,
        where=where,
        dashboard_url=dashboard_url(deployment_name) if where == OWN else "",
        offer_update=error.category == UPDATE_NEEDED and where == OWN,
        writes_wait=error.category == MOVING,
    )
