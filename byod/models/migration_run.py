"""The history of data migrations per connection, like Flyway's schema history table.

One row per run of one migration on one connection: a deploy attempt that runs it (again, after
a failure or a lost worker: the row says where it resumed), or a dry run. The deployment keeps
the migration's own progress (cursor, done) in its byodMigrations table; these rows are what we
saw and what the page, the admin and `byod_status` show.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q

from byod.models.connection import Connection
from byod.models.deployment import Deployment


class MigrationRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    # The deploy stopped (cancelled, superseded) or its worker died while this ran; the next
    # attempt goes on from the cursor the deployment saved.
    INTERRUPTED = "interrupted", "Interrupted"


class MigrationDirection(models.TextChoices):
    UP = "up", "Upgrade"
    DOWN = "down", "Downgrade"


class MigrationRunQuerySet(models.QuerySet["MigrationRun"]):
    def running(self) -> MigrationRunQuerySet:
        return self.filter(status=MigrationRunStatus.RUNNING)

    def failed(self) -> MigrationRunQuerySet:
        return self.filter(status=MigrationRunStatus.FAILED)

    def real(self) -> MigrationRunQuerySet:
        """Runs that changed documents (not dry runs)."""
        return self.filter(dry_run=False)


class MigrationRun(models.Model):
    """One run of one data migration (`name`, e.g. `v2:conversation-flags`) on a connection."""

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="migration_runs"
    )
    deployment = models.ForeignKey(
        Deployment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="migration_runs",
        help_text="The deploy that ran it; empty for a dry run from byod_migrate.",
    )
    version = models.PositiveIntegerField(help_text="The package version that declares it.")
    migration_id = models.CharField(max_length=64)
    name = models.CharField(max_length=80, help_text="v<version>:<id>, as the deployment keeps it.")
    table = models.CharField(max_length=64)
    direction = models.CharField(
        max_length=8, choices=MigrationDirection.choices, default=MigrationDirection.UP
    )
    dry_run = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=MigrationRunStatus.choices, default=MigrationRunStatus.RUNNING
    )
    processed = models.PositiveIntegerField(default=0, help_text="Documents read so far.")
    changed = models.PositiveIntegerField(default=0, help_text="Documents changed so far.")
    total = models.PositiveIntegerField(
        null=True, blank=True, help_text="Documents in the table when the run started (about)."
    )
    resumed_from = models.PositiveIntegerField(
        default=0, help_text="Documents an earlier run had already processed."
    )
    batches = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failed_document_id = models.CharField(max_length=128, blank=True, default="")
    error_message = models.TextField(blank=True, default="")

    objects = MigrationRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["connection", "-started_at"], name="byod_mig_conn_started_idx"),
            models.Index(fields=["status", "version"], name="byod_mig_status_version_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MigrationRunStatus.values), name="byod_mig_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=MigrationDirection.values),
                name="byod_mig_direction_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.table} ({self.status})"

    @property
    def duration(self) -> timedelta | None:
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def progress_text(self) -> str:
        """ "12,400 of about 50,000" (or just "12,400" before the table was counted)."""
        if self.total is None:
            return f"{self.processed:,}"
        return f"{self.processed:,} of about {max(self.total, self.processed):,}"

    @property
    def counts(self) -> dict[str, str]:
        """processed, changed, resumed_from with thousands separators (for templates)."""
        return {
            "processed": f"{self.processed:,}",
            "changed": f"{self.changed:,}",
            "resumed_from": f"{self.resumed_from:,}",
        }

    @property
    def outcome_text(self) -> str:
        """A finished run in words: "Upgraded: 340 of 1,200 documents changed." (never "0 of 0
        documents"); a way back says "Downgraded"."""
        done = "Downgraded" if self.direction == MigrationDirection.DOWN else "Upgraded"
        if self.processed == 0:
            said = f"{done}: the table had no documents to change"
        elif self.changed == 0:
            n = self.processed
            said = f"{done}: none of its {n:,} document{'s' if n != 1 else ''} needed a change"
        else:
            said = f"{done}: {self.changed:,} of {self.processed:,} documents changed"
        if self.resumed_from:
            said += f", going on after {self.resumed_from:,} done earlier"
        return said + "."

    @property
    def error_sentence(self) -> str:
        """The error as a sentence (ending with a full stop), cut to a readable length."""
        text = self.error_message.strip()
        if len(text) > 200:
            text = text[:199] + "…"
        return text if not text or text[-1] in ".!?…" else text + "."

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.processed / self.total))
