"""Print every connection: user, status, deployed vs current version, last migration, last error.

manage.py byod_status [--user U ...] [--outdated] [--failing] [--migrations]

`--migrations` also prints each selected connection's history of data migrations (newest
first), like Flyway's `info`.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import OuterRef, Subquery

from byod import package
from byod.management.reporting import table
from byod.models import Connection, MigrationRun

ERROR_WIDTH = 60
HISTORY = 20


class Command(BaseCommand):
    help = "Show each connection's status, deployed vs current version and last error."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", action="append", metavar="U", help="username (repeatable)")
        parser.add_argument("--outdated", action="store_true", help="only behind current version")
        parser.add_argument("--failing", action="store_true", help="only connections in error")
        parser.add_argument(
            "--migrations", action="store_true", help="also print each one's migration history"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        latest = MigrationRun.objects.filter(connection=OuterRef("pk")).real()
        latest = latest.order_by("-started_at", "-id")
        rows = (
            Connection.objects.select_related("user")
            .order_by("user__username")
            .annotate(
                migration_name=Subquery(latest.values("name")[:1]),
                migration_status=Subquery(latest.values("status")[:1]),
            )
        )
        if options["user"]:
            rows = rows.filter(user__username__in=options["user"])
        if options["failing"]:
            rows = rows.failing()
        if options["outdated"]:
            rows = rows.outdated()
        selected = list(rows)
        if not selected:
            self.stdout.write("No connections.")
            return
        current = package.current_version()
        lines = [
            ("USER", "STATUS", "DEPLOYED", "CURRENT", "LAST DEPLOY", "LAST MIGRATION", "LAST ERROR")
        ]
        for c in selected:
            lines.append(
                (
                    c.user.get_username(),
                    c.status,
                    "-" if c.deployed_version is None else f"v{c.deployed_version}",
                    f"v{current}" + (" (outdated)" if c.is_outdated else ""),
                    f"{c.last_deploy_at:%Y-%m-%d %H:%M}" if c.last_deploy_at else "-",
                    _migration(c),
                    _error(c),
                )
            )
        for line in table(lines):
            self.stdout.write(line)
        counts: dict[str, int] = {}
        for c in selected:
            counts[c.status] = counts.get(c.status, 0) + 1
        outdated = sum(1 for c in selected if c.is_outdated)
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        self.stdout.write(f"{len(selected)} connection(s): {summary}; {outdated} outdated.")
        if options["migrations"]:
            for c in selected:
                self._history(c)

    def _history(self, connection: Connection) -> None:
        runs = list(connection.migration_runs.order_by("-started_at", "-id")[:HISTORY])
        self.stdout.write(f"\nMigrations of {connection.user.get_username()}:")
        if not runs:
            self.stdout.write("  none")
            return
        lines = [
            (
                "VERSION",
                "MIGRATION",
                "TABLE",
                "STATUS",
                "DOCUMENTS",
                "CHANGED",
                "STARTED",
                "TOOK",
                "ERROR",
            )
        ]
        for run in runs:
            status = f"{run.status} (dry run)" if run.dry_run else run.status
            error = run.error_message.replace("\n", " ")
            if run.failed_document_id:
                error = f"document {run.failed_document_id}: {error}"
            lines.append(
                (
                    f"v{run.version}" + (" down" if run.direction == "down" else ""),
                    run.name,
                    run.table,
                    status,
                    run.progress_text,
                    f"{run.changed:,}",
                    f"{run.started_at:%Y-%m-%d %H:%M:%S}",
                    f"{run.duration.total_seconds():.1f}s" if run.duration else "-",
                    error[:ERROR_WIDTH] or "-",
                )
            )
        for line in table(lines):
            self.stdout.write("  " + line)


def _migration(connection: Connection) -> str:
    name = getattr(connection, "migration_name", None)
    status = getattr(connection, "migration_status", None)
    return f"{name} {status}" if name else "-"


def _error(connection: Connection) -> str:
    if not connection.last_error_category:
        return "-"
    text = f"{connection.last_error_category}: {connection.last_error_message}".replace("\n", " ")
    return text if len(text) <= ERROR_WIDTH else text[: ERROR_WIDTH - 1] + "…"
