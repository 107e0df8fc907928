"""What the settings page shows for one user: read-only, built from their own rows only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from byod import package
from byod.errors import CATEGORIES, Category
from byod.models import Connection, ConnectionStatus, Deployment, MigrationRun

if TYPE_CHECKING:
    from accounts.models import User

NOT_CONNECTED = "not_connected"
DEPLOYING = "deploying"
CONNECTED = "connected"
PENDING = "pending"
ERROR = "error"

HISTORY_LENGTH = 10
DETAIL_LINES = 12


@dataclass
class Change:
    version: int
    text: str


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


@dataclass
class HistoryRow:
    deployment: Deployment

    @property
    def duration_text(self) -> str:
        return duration_text(self.deployment.duration)


@dataclass
class PageState:
    """Everything the templates need; ``state`` picks the panel."""

    state: str
    connection: Connection | None
    current_version: int
    active: Deployment | None = None
    latest: Deployment | None = None
    history: list[Deployment] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def update_available(self) -> bool:
        c = self.connection
        return (
            self.state in (CONNECTED, ERROR)
            and c is not None
            and c.deployed_version is not None
            and c.deployed_version < self.current_version
        )

    @property
    def error_message(self) -> str:
        """What went wrong and what the user can do: the message recorded with the failure
        (the category's message, filled in with the table or index), else the category's."""
        c = self.connection
        if c is None or not c.last_error_category:
            return ""
        kind = self.error_category
        return c.last_error_message or (kind.message_for() if kind else "")

    @property
    def error_category(self) -> Category | None:
        c = self.connection
        return CATEGORIES.get(c.last_error_category) if c is not None else None

    @property
    def error_detail(self) -> str:
        """For the folded details: the last lines of the latest attempt's log (operators'
        detail; the client scrubs keys from it)."""
        if self.latest is None or not self.latest.log:
            return ""
        return "\n".join(self.latest.log.strip().splitlines()[-DETAIL_LINES:])

    @property
    def retry_helps(self) -> bool:
        kind = self.error_category
        return kind is None or kind.retryable

    @property
    def fix_credentials(self) -> bool:
        # The user must change the URL or the key before another deploy can succeed.
        kind = self.error_category
        return kind is not None and kind.field in ("url", "deploy_key")

    @property
    def elapsed(self) -> timedelta | None:
        if self.active is None:
            return None
        return timezone.now() - (self.active.started_at or self.active.created_at)

    @property
    def elapsed_text(self) -> str:
        return duration_text(self.elapsed)

    @property
    def rows(self) -> list[HistoryRow]:
        return [HistoryRow(d) for d in self.history]

    @property
    def migration(self) -> MigrationRun | None:
        """The data migration the running deploy is at, if any."""
        if self.active is None:
            return None
        return self.active.migration_runs.real().running().order_by("-id").first()

    @property
    def migration_history(self) -> list[MigrationRun]:
        """The connection's latest data migration runs, newest first (queried when shown)."""
        if self.connection is None:
            return []
        return list(self.connection.migration_runs.order_by("-started_at", "-id")[:HISTORY_LENGTH])

    @property
    def index_percent(self) -> int | None:
        a = self.active
        if a is None or not a.indexes_total:
            return None
        return round(100 * (a.indexes_ready or 0) / a.indexes_total)


def own_connection(user: User) -> Connection | None:
    """The user's own connection; nothing here ever looks one up by id."""
    return Connection.objects.filter(user=user).first()


def page_state(user: User) -> PageState:
    current, changelog = package.current_version(), package.changelog()
    connection = own_connection(user)
    if connection is None:
        return PageState(NOT_CONNECTED, None, current)
    history = list(connection.deployments.order_by("-created_at", "-id")[:HISTORY_LENGTH])
    real = [d for d in history if not d.dry_run]
    latest = real[0] if real else None
    active = latest if latest is not None and latest.is_active else None
    status = connection.status
    if status == ConnectionStatus.DISCONNECTED:
        state = NOT_CONNECTED
    elif active is not None or status == ConnectionStatus.DEPLOYING:
        state = DEPLOYING
    elif status == ConnectionStatus.ERROR:
        state = ERROR
    elif status == ConnectionStatus.CONNECTED:
        state = CONNECTED
    else:
        state = PENDING
    changes = []
    if connection.deployed_version is not None:
        changes = [
            Change(v, changelog.get(v, ""))
            for v in range(connection.deployed_version + 1, current + 1)
        ]
    return PageState(state, connection, current, active, latest, history, changes)
