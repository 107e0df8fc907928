"""Run (or count) the pending data migrations of some or all connections.

    manage.py byod_migrate (--user U ... | --all) [--version N] [--dry-run] [--concurrency K]

Migrations run as part of a deploy (expand -> migrate -> contract), so this deploys the version
to each connection whose documents need its migrations, K at a time in this process, and
reports each migration. `--dry-run` changes nothing: it counts, with the runner each deployment
has now, the documents each migration would change. Exits non-zero when anything failed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from byod import package
from byod.errors import ByodError
from byod.management.reporting import (
    ProgressBar,
    logs_held,
    select_connections,
    shorten,
    table,
)
from byod.models import Connection, MigrationRun
from byod.services.deploys.batch import deploy_now
from byod.services.migrations import run as migrate
from byod.services.migrations.plan import recorded_plan


class Command(BaseCommand):
    help = "Run or count (--dry-run) the pending data migrations of connections."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # --version is the package version here; it replaces Django's --version.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", action="append", metavar="U", help="username or email")
        who.add_argument("--all", action="store_true", help="every connection with a key")
        parser.add_argument("--version", type=int, help="package version (default: current)")
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would change; write nothing"
        )
        parser.add_argument("--concurrency", type=int, default=4, metavar="K")

    def handle(self, *args: Any, **options: Any) -> None:
        # Log lines would run into the bar and the table: held, and written after them.
        with logs_held(self.stderr):
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        if options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1.")
        version = options["version"] or package.current_version()
        selected = select_connections(options["user"], Connection.objects.usable())
        try:
            todo = [c for c in selected if recorded_plan(c, version).migrates]
        except ByodError as error:
            raise CommandError(error.user_message) from error
        for c in selected:
            if c not in todo:
                self.stdout.write(f"{c.user}: nothing to migrate for v{version}.")
        if not todo:
            self.stdout.write("No connection has migrations to run.")
            return
        if options["dry_run"]:
            failed = self._dry_run(todo, version)
        else:
            failed = self._run(todo, version, options["concurrency"])
        if failed:
            raise CommandError(f"{failed} of {len(todo)} connection(s) did not get through.")
        if not options["dry_run"]:
            self.stdout.write(self.style.SUCCESS(f"Migrated {len(todo)} connection(s)."))

    def _dry_run(self, todo: list[Connection], version: int) -> int:
        bar = ProgressBar(self.stdout, len(todo))
        rows = [("user", "migration", "table", "result")]
        failed = 0
        for done, connection in enumerate(todo, start=1):
            try:
                _, outcomes = migrate.dry_run(connection, version)
            except ByodError as error:
                failed += 1
                rows.append((str(connection.user), "-", "-", f"{error.category}: {error.detail}"))
            else:
                for o in outcomes:
                    result = (
                        f"{o.changed:,} of {o.processed:,} documents would change"
                        if o.status == "would change"
                        else f"{o.status}: {o.note}"
                    )
                    failed += o.status == "failed"
                    rows.append((str(connection.user), o.name, o.table, result))
            bar.show(done, f"{failed} failed")
        bar.finish()
        for line in table(rows):
            self.stdout.write(line)
        counted = sum(1 for row in rows[1:] if "would change" in row[3])
        self.stdout.write(
            f"Dry run of {len(todo)} connection(s): {counted} of {len(rows) - 1} migration(s) "
            "counted; nothing was written."
        )
        return failed

    def _run(self, todo: list[Connection], version: int, concurrency: int) -> int:
        bar = ProgressBar(self.stdout, len(todo))
        outcomes = deploy_now(
            todo,
            version=version,
            concurrency=concurrency,
            progress=lambda done, failed: bar.show(done, f"{failed} failed"),
        )
        bar.finish()
        rows = [("user", "deploy", "migration", "table", "status", "documents", "changed", "error")]
        for o in sorted(outcomes, key=lambda o: (o.succeeded, o.user)):
            runs = list(
                MigrationRun.objects.filter(deployment_id=o.deployment_id).order_by("id")
                if o.deployment_id is not None
                else []
            )
            for run in runs:
                error = run.error_message
                if run.failed_document_id:
                    error = f"document {run.failed_document_id}: {error}"
                rows.append(
                    (
                        o.user,
                        f"#{o.deployment_id}",
                        run.name,
                        run.table,
                        run.status,
                        run.progress_text,
                        f"{run.changed:,}",
                        shorten(error, 100),
                    )
                )
            if not o.succeeded and not runs:
                rows.append(
                    (
                        o.user,
                        f"#{o.deployment_id}",
                        "-",
                        "-",
                        o.status,
                        "-",
                        "-",
                        shorten(o.error, 100),
                    )
                )
        for line in table(rows):
            self.stdout.write(line)
        return sum(1 for o in outcomes if not o.succeeded)
