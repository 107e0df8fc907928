"""The settings page's history: what the user did or what happened to their deployment, one
row per event in plain words (a data upgrade is one row, naming its table), newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from byod.models import (
    DEPLOY_EVENTS,
    HEALTH_EVENTS,
    MOVE_EVENTS,
    Connection,
    Deployment,
    Event,
    EventKind,
    MigrationRun,
)
from byod.views import words

HISTORY_LENGTH = 10
HISTORY_STEP = 20
HISTORY_MAX = 1000


def duration_text(value: timedelta | None) -> str:
    if value is None:
        return ""
    seconds = max(0, round(value.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


E = EventKind
_ENDED_DEPLOYS = frozenset({E.DEPLOY_SUCCEEDED, E.DEPLOY_FAILED})
MIGRATION_OUTCOMES = frozenset({E.MIGRATION_SUCCEEDED, E.MIGRATION_FAILED, E.MIGRATION_INTERRUPTED})
# How a history row looks, by its kind (the rest are "info").
_TONES: dict[str, str] = {
    **dict.fromkeys(
        (E.DEPLOY_FAILED, E.HEALTH_UNHEALTHY, E.HEALTH_DRIFT, E.MIGRATION_FAILED, E.MOVE_FAILED),
        "bad",
    ),
    **dict.fromkeys(
        (E.DEPLOY_RETRY_SCHEDULED, E.HEALTH_DEGRADED, E.HEALTH_REASON_CHANGED, E.MOVE_WAITING),
        "warn",
    ),
    **dict.fromkeys((E.DEPLOY_SUCCEEDED, E.HEALTH_HEALTHY, E.HEALTH_RECOVERED, E.MOVE_DONE), "ok"),
}


@dataclass
class HistoryRow:
    """One thing the user did or that happened to their deployment, in plain words."""

    event: Event
    run: MigrationRun | None = None  # a data upgrade's run, for events written before they
    # named their table

    @property
    def when(self) -> datetime:
        return self.event.created_at

    @property
    def kind(self) -> str:
        return self.event.kind.replace(".", "-")

    @property
    def sentence(self) -> str:
        kind, data, d = self.event.kind, self.event.data or {}, self.deployment
        if kind in MIGRATION_OUTCOMES:
            run = self.run
            table = data.get("table") or (run.table if run is not None else "")
            direction = data.get("direction") or (run.direction if run is not None else "up")
            version = data.get("version") or (run.version if run is not None else 0)
            return words.migration_sentence(kind, table, direction, int(version))
        if kind in MOVE_EVENTS:
            move = self.event.move
            direction = data.get("direction") or (move.direction if move is not None else "")
            return words.move_sentence(
                kind, direction, switching=bool(data.get("switch")), data=data
            )
        if d is not None and kind in _ENDED_DEPLOYS:
            return words.deploy_sentence(kind, d.from_version, d.to_version)
        return words.event_sentence(kind, data.get("source", ""))

    @property
    def deployment(self) -> Deployment | None:
        return self.event.deployment

    @property
    def versions(self) -> str:
        d = self.deployment
        if d is None or self.event.kind not in DEPLOY_EVENTS:
            return ""
        if d.from_version and d.from_version != d.to_version:
            return f"v{d.from_version} → v{d.to_version}"
        return f"v{d.to_version}"

    @property
    def duration_text(self) -> str:
        d = self.deployment
        if d is None or self.event.kind not in _ENDED_DEPLOYS:
            return ""
        return duration_text(d.duration)

    @property
    def detail(self) -> str:
        """Why, in the user's words: the failure's title (never its code)."""
        data = self.event.data or {}
        code = data.get("category") or ""
        if self.event.kind in HEALTH_EVENTS and data.get("to") != "healthy":
            code = data.get("reason") or ""
        if (
            not code
            and self.event.kind == EventKind.MIGRATION_FAILED
            and self.deployment is not None
        ):
            code = self.deployment.error_category
        return words.error_title(code) if code else ""

    @property
    def tone(self) -> str:
        return _TONES.get(self.event.kind, "info")


def history_rows(connection: Connection, limit: int) -> tuple[list[HistoryRow], bool]:
    """The newest `limit` events the user caused or suffered (operators' dry runs left out),
    and whether there are more."""
    events = (
        connection.events.filter(kind__in=words.SHOWN_EVENTS)
        .filter(Q(deployment__isnull=True) | Q(deployment__dry_run=False))
        .select_related("deployment", "move")
        .order_by("-created_at", "-id")[: limit + 1]
    )
    found = list(events)
    # Data upgrades recorded before their events named the table: their runs, in one query.
    older = [
        data["run"]
        for e in found
        if e.kind in MIGRATION_OUTCOMES
        and not (data := e.data or {}).get("table")
        and data.get("run")
    ]
    runs = MigrationRun.objects.in_bulk(older) if older else {}
    rows = [HistoryRow(e, runs.get((e.data or {}).get("run"))) for e in found]
    return rows[:limit], len(rows) > limit


def history_length(raw: str | None) -> int:
    """``?history=N``: how many rows to show (at least the default, at most HISTORY_MAX)."""
    try:
        wanted = int(raw or HISTORY_LENGTH)
    except ValueError:
        wanted = HISTORY_LENGTH
    return max(HISTORY_LENGTH, min(wanted, HISTORY_MAX))
