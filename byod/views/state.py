"""What the settings page shows for one user: read-only, built from their own rows only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from byod import package
from byod.errors import DRIFT, Category, find
from byod.models import (
    DEPLOY_EVENTS,
    HEALTH_EVENTS,
    Connection,
    ConnectionStatus,
    Deployment,
    DeploymentStatus,
    DeployPhase,
    Event,
    EventKind,
    Health,
    MigrationRun,
)
from byod.services.rollouts.control import aborted_note
from byod.views import contents, words

if TYPE_CHECKING:
    from accounts.models import User

NOT_CONNECTED = "not_connected"
DEPLOYING = "deploying"
CONNECTED = "connected"
PENDING = "pending"
ERROR = "error"

HISTORY_LENGTH = 10
HISTORY_STEP = 20
HISTORY_MAX = 1000
DETAIL_LINES = 12

TITLES = {
    NOT_CONNECTED: "Connect your database",
    DEPLOYING: "Deploying…",
    CONNECTED: "Connected",
    PENDING: "Not deployed yet",
    ERROR: "Action needed",
}


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
# How a history row looks, by its kind (the rest are "info").
_TONES: dict[str, str] = {
    **dict.fromkeys(
        (E.DEPLOY_FAILED, E.HEALTH_UNHEALTHY, E.HEALTH_DRIFT, E.MIGRATION_FAILED), "bad"
    ),
    **dict.fromkeys((E.DEPLOY_RETRY_SCHEDULED, E.HEALTH_DEGRADED, E.HEALTH_REASON_CHANGED), "warn"),
    **dict.fromkeys((E.DEPLOY_SUCCEEDED, E.HEALTH_HEALTHY, E.HEALTH_RECOVERED), "ok"),
}


@dataclass
class HistoryRow:
    """One thing the user did or that happened to their deployment, in plain words."""

    event: Event

    @property
    def when(self) -> datetime:
        return self.event.created_at

    @property
    def kind(self) -> str:
        return self.event.kind.replace(".", "-")

    @property
    def sentence(self) -> str:
        return words.event_sentence(self.event.kind, (self.event.data or {}).get("source", ""))

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
        .select_related("deployment")
        .order_by("-created_at", "-id")[: limit + 1]
    )
    rows = [HistoryRow(e) for e in events]
    return rows[:limit], len(rows) > limit


def history_length(raw: str | None) -> int:
    """``?history=N``: how many rows to show (at least the default, at most HISTORY_MAX)."""
    try:
        wanted = int(raw or HISTORY_LENGTH)
    except ValueError:
        wanted = HISTORY_LENGTH
    return max(HISTORY_LENGTH, min(wanted, HISTORY_MAX))


@dataclass
class PageState:
    """Everything the templates need; ``state`` picks the panel."""

    state: str
    connection: Connection | None
    current_version: int
    active: Deployment | None = None
    latest: Deployment | None = None
    history: list[HistoryRow] = field(default_factory=list)
    history_more: bool = False
    history_length: int = HISTORY_LENGTH
    last_success: Deployment | None = None
    last_attempt: Deployment | None = None

    @property
    def title(self) -> str:
        return TITLES.get(self.state, "Database")

    @property
    def next_history_length(self) -> int:
        return min(self.history_length + HISTORY_STEP, HISTORY_MAX)

    @property
    def last_attempt_failed(self) -> bool:
        """The latest finished attempt is not the latest success: show both apart."""
        a, s = self.last_attempt, self.last_success
        return a is not None and a.status != "succeeded" and (s is None or a.pk != s.pk)

    @property
    def last_attempt_at(self) -> datetime | None:
        a = self.last_attempt
        return (a.finished_at or a.created_at) if a is not None else None

    @property
    def retry_at(self) -> datetime | None:
        """When the running deploy tries again on its own, if it waits for a retry."""
        a = self.active
        return a.next_attempt_at if a is not None and a.status == "queued" else None

    @property
    def retry_error_title(self) -> str:
        a = self.active
        return words.error_title(a.error_category) if a is not None else ""

    @property
    def phase_text(self) -> str:
        a = self.active
        if a is None:
            return words.phase_words("")
        if a.status == DeploymentStatus.QUEUED and not a.next_attempt_at:
            return words.phase_words(DeployPhase.QUEUED)
        return words.phase_words(a.phase)

    @property
    def error_title(self) -> str:
        c = self.connection
        return words.error_title(c.last_error_category) if c is not None else ""

    @property
    def attempts_made(self) -> int:
        return self.latest.attempt if self.latest is not None and self.latest.attempt else 1

    @property
    def drifted(self) -> bool:
        """The deployment runs something other than what we deployed (a check found it)."""
        c = self.connection
        return c is not None and c.health == Health.UNHEALTHY and c.health_reason == DRIFT

    @property
    def answers_again_at(self) -> datetime | None:
        """When a check passed after the failure shown (one about the deployment: its key, its
        state, its answers), so the page says the failure is behind it; None otherwise."""
        c, kind = self.connection, self.error_category
        if self.state != ERROR or c is None or kind is None or not kind.about_deployment:
            return None
        checked, failed = c.last_check_at, c.last_error_at
        if c.health != Health.HEALTHY or checked is None or failed is None or checked <= failed:
            return None
        return checked

    @property
    def next_step(self) -> str:
        """What happens next after a failure for good: never "we will retry" (no retry is
        coming), always what the user can do now."""
        if self.state != ERROR:
            return ""
        if self.answers_again_at is not None:
            return "We will not retry on our own. Deploy again below to finish."
        if self.fix_credentials:
            return (
                "We will not retry on our own. Save a working deploy key (or URL) below: "
                "we check it and deploy again at once."
            )
        if self.retry_helps:
            n = self.attempts_made
            tried = f"We tried {n} time{'s' if n != 1 else ''} and stopped: no more retries. "
            return tried + "When the problem above is fixed, try again with the button below."
        return "We will not retry on our own. Once you have fixed this, deploy again below."

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
    def update_notes(self) -> list[contents.VersionNotes]:
        c = self.connection
        if not self.update_available or c is None or c.deployed_version is None:
            return []
        return [
            contents.version_notes(v)
            for v in range(c.deployed_version + 1, self.current_version + 1)
        ]

    @property
    def tables(self) -> list[contents.TableInfo]:
        """The tables our package created in the deployment (of the version it runs)."""
        c = self.connection
        return contents.tables_of(c.deployed_version) if c is not None else []

    @property
    def counts(self) -> contents.Counts | None:
        """The documents in those tables, as last counted."""
        c = self.connection
        return contents.counts_of(c) if c is not None else None

    @property
    def version_notes(self) -> list[contents.VersionNotes]:
        return contents.all_notes(self.current_version)

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
        return find(c.last_error_category) if c is not None else None

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
    def migration(self) -> MigrationRun | None:
        """The data migration the running deploy is at, if any."""
        if self.active is None:
            return None
        return self.active.migration_runs.real().running().order_by("-id").first()

    @property
    def rollout_note(self) -> str:
        """What an aborted rollout that did not reach this user says to them ("" if nothing)."""
        return aborted_note(self.connection) if self.connection is not None else ""

    @property
    def user_migration_history(self) -> list[MigrationRun]:
        """The migration runs users see: operators' dry runs left out."""
        if self.connection is None:
            return []
        runs = self.connection.migration_runs.filter(dry_run=False)
        return list(runs.order_by("-started_at", "-id")[:HISTORY_LENGTH])

    @property
    def index_percent(self) -> int | None:
        a = self.active
        if a is None or not a.indexes_total:
            return None
        return round(100 * (a.indexes_ready or 0) / a.indexes_total)


def own_connection(user: User) -> Connection | None:
    """The user's own connection; nothing here ever looks one up by id."""
    return Connection.objects.filter(user=user).first()


def page_state(user: User, history: int = HISTORY_LENGTH) -> PageState:
    current = package.current_version()
    connection = own_connection(user)
    if connection is None:
        return PageState(NOT_CONNECTED, None, current)
    real = connection.deployments.real().order_by("-created_at", "-id")
    latest = real.first()
    active = latest if latest is not None and latest.is_active else None
    last_success = real.filter(status="succeeded").first()
    last_attempt = real.finished().first()
    rows, more = history_rows(connection, history)
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
    return PageState(
        state,
        connection,
        current,
        active,
        latest,
        rows,
        history_more=more,
        history_length=history,
        last_success=last_success,
        last_attempt=last_attempt,
    )
