"""The admin, one module per part: connections (with the summary and actions), the read-only
records (deploy attempts, events), notifications, the history of data migrations, rollouts,
where users' content lives, its moves and downloads, and their filters and inlines."""

from __future__ import annotations

from byod.admin import (
    connections,
    downloads,
    locations,
    migration_runs,
    moves,
    notifications,
    records,
    rollouts,
)

__all__ = [
    "connections",
    "downloads",
    "locations",
    "migration_runs",
    "moves",
    "notifications",
    "records",
    "rollouts",
]
