"""The admin, one module per part: connections (with the summary and actions), the read-only
records (deploy attempts, events), and their filters and inlines."""

from __future__ import annotations

from byod.admin import connections, notifications, records

__all__ = ["connections", "notifications", "records"]
