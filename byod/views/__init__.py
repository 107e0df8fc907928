"""The "Database" settings page: one page, its htmx partials, and the actions it posts to.

- ``page``: the page (full, or the ``#state`` partial for htmx) and the polled progress.
- ``actions``: check, connect, redeploy; ``credentials``: update them (asking what happens to
  content that lives in the old deployment).
- ``moves``: the polled move progress, give up, disconnect (keep, bring back, delete).
  Each calls the connection/deploy/move services, then redirects
  (no JavaScript) or answers with a partial (htmx).
"""

from __future__ import annotations

from byod.views.actions import check, connect, redeploy
from byod.views.credentials import credentials
from byod.views.moves import disconnect, give_up, move_progress
from byod.views.page import history, progress, settings_page

__all__ = [
    "check",
    "connect",
    "credentials",
    "disconnect",
    "give_up",
    "history",
    "move_progress",
    "progress",
    "redeploy",
    "settings_page",
]
