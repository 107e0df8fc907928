"""What the settings page shows for one user: read-only, built from their own rows only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from byod import package
from byod.errors import DRIFT, Category, find
from byod.models import (
    Connection,
    ConnectionStatus,
    Deployment,
    DeploymentStatus,
    DeployPhase,
    Health,
    MigrationRun,
)
from byod.services import releases
from byod.services.rollouts.control import aborted_note
from byod.views import contents, words
from byod.views.history import (
    HISTORY_LENGTH,
    HISTORY_MAX,
    HISTORY_STEP,
    HistoryRow,
    duration_text,
    history_rows,
)
from byod.views.move_state import MoveView, move_for

if TYPE_CHECKING:
    from accounts.models import User

NOT_CONNECTED = "not_connected"
DEPLOYING = "deploying"
CONNECTED = "connected"
PENDING = "pending"
ERROR = "error"

DETAIL_LINES = 12

TITLES = {
    NOT_CONNECTED: "Connect your database",
    DEPLOYING: "Deploying…",
    CONNECTED: "Connected",
    PENDING: "Not deployed yet",
    ERROR: "Action needed",
}


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
    # What a rollout offers this user (byod.services.releases): the version they may deploy
    # on their own; nothing else announces a version to them.
    offered_version: int | None = None
    # The user's move under way, or a recent one's result (`byod.views.move_state`).
    move: MoveView | None = None

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
    def offered_update(self) -> int | None:
        """The version offered to this user when it is newer than theirs, else None."""
        c = self.connection
        offered = self.offered_version
        if c is None or c.deployed_version is None or offered is None:
            return None
        return offered if offered > c.deployed_version else None

    @property
    def update_available(self) -> bool:
        """An update is offered to this user ("Update now"): only ever one a rollout offers."""
        return self.state in (CONNECTED, ERROR) and self.offered_update is not None

    @property
    def unfinished_update(self) -> int | None:
        """The newer version whose deploy failed (the error panel names it), else None."""
        c, last = self.connection, self.last_attempt
        if c is None or c.deployed_version is None or last is None:
            return None
        failed = last.status == DeploymentStatus.FAILED and last.to_version > c.deployed_version
        return last.to_version if failed else None

    @property
    def update_notes(self) -> list[contents.VersionNotes]:
        c, offered = self.connection, self.offered_update
        if not self.update_available or c is None or c.deployed_version is None or not offered:
            return []
        return [contents.version_notes(v) for v in range(c.deployed_version + 1, offered + 1)]

    @property
    def known_version(self) -> int:
        """The newest version this user may hear of: theirs, or the one offered to them."""
        c = self.connection
        found = [c.deployed_version if c is not None else None, self.offered_version]
        return max((v for v in found if v is not None), default=self.current_version)

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
        """The notes of every version up to the newest this user may hear of."""
        return contents.all_notes(self.known_version)

    @property
    def error_message(self) -> str:
        """What went wrong and what the user can do: the message recorded with the failure
        (the category's message, filled in with the table or index), else the category's."""
        c = self.connection
        if c is None or not c.last_error_category:
            return ""
        kind = self.error_category
        said = c.last_error_message or (kind.message_for() if kind else "")
        return words.after_title(self.error_title, said)  # the title above says the rest

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
    # The move before the connection: a move that ends a disconnect erases the key in the same
    # transaction as it ends, so a move read as done is never shown beside a connection read
    # before that commit (the page would stop polling on "done" while still "connected").
    move = move_for(user.pk)
    connection = own_connection(user)
    if connection is None:
        return PageState(NOT_CONNECTED, None, current, move=move)
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
        offered_version=releases.offered_version(connection),
        move=move,
    )
