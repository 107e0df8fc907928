"""The admin, one module per part: connections (with the summary and actions), the read-only
records (deploy attempts, events), notifications, the history of data migrations, rollouts,
and their filters and inlines."""

from __future__ import annotations

from byod.admin import connections, migration_runs, notifications, records, rollouts

__all__ = ["connections", "migration_runs", "notifications", "records", "rollouts"]
