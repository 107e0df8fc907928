"""The "Database" settings page: one page, its htmx partials, and the actions it posts to.

- ``page``: the page (full, or the ``#state`` partial for htmx) and the polled progress.
- ``actions``: check, connect, redeploy, update credentials, disconnect. Each calls the
  connection/deploy services, then redirects (no JavaScript) or answers with a partial (htmx).
"""

from __future__ import annotations

from byod.views.actions import check, connect, credentials, disconnect, redeploy
from byod.views.page import history, progress, settings_page

__all__ = [
    "check",
    "connect",
    "credentials",
    "disconnect",
    "history",
    "progress",
    "redeploy",
    "settings_page",
]
