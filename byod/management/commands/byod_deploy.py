"""Deploy the package to some or all connections, in this process, K at a time.

    manage.py byod_deploy (--user U ... | --all | --outdated) [--version N] [--dry-run]
                          [--concurrency K]

Each deploy is requested through `request_deploy` (so a connection's deploy already queued
or running is reused, never doubled) and run here with `run_deploy`; a deploy that waits
for a retry is run again when it is due. Prints a progress bar and a summary table, and
exits non-zero when any deploy failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections
from django.utils import timezone

from byod.models import Connection, ConnectionStatus, Deployment, DeploymentTrigger
from byod.services.deploy import request_deploy, run_deploy

log = logging.getLogger(__name__)

# How often a deploy that runs elsewhere (another worker) is looked at again.
POLL_SECONDS = 0.5


@dataclass
class Row:
    user: str
    deployment_id: int | None
    status: str
    from_version: int | None = None
    to_version: int | None = None
    seconds: float | None = None
    attempts: int = 0
    error: str = ""


class Command(BaseCommand):
    help = "Deploy the schema package to connections (in this process) and report the outcome."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # --version is the package version here; it replaces Django's --version.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", action="append", metavar="U", help="username or email")
        who.add_argument("--all", action="store_true", help="every connection with a key")
        who.add_argument(
            "--outdated", action="store_true", help="connections behind the current version"
        )
        parser.add_argument("--version", type=int, help="package version (default: current)")
        parser.add_argument("--dry-run", action="store_true", help="evaluate only; change nothing")
        parser.add_argument("--concurrency", type=int, default=8, metavar="K")
        parser.add_argument(
            "--max-wait", type=float, default=3600.0, help="give up waiting after this many s"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        concurrency = options["concurrency"]
        if concurrency < 1:
            raise CommandError("--concurrency must be at least 1.")
        selected = self._select(options)
        if not selected:
            self.stdout.write("No connections to deploy.")
            return
        version = options["version"]
        dry_run = options["dry_run"]
        rows = run_many(
            selected,
            version=version,
            dry_run=dry_run,
            concurrency=concurrency,
            max_wait=options["max_wait"],
            progress=self._progress_bar(len(selected)),
        )
        self.stdout.write("")
        self._summary(rows)
        failed = [r for r in rows if r.status != "succeeded"]
        if failed:
            raise CommandError(f"{len(failed)} of {len(rows)} deploys did not succeed.")
        done = "Dry run of" if dry_run else "Deployed"
        self.stdout.write(self.style.SUCCESS(f"{done} {len(rows)} connection(s)."))

    def _select(self, options: dict[str, Any]) -> list[Connection]:
        usable = Connection.objects.exclude(status=ConnectionStatus.DISCONNECTED).exclude(
            key_ciphertext=""
        )
        if options["user"]:
            found: list[Connection] = []
            user_model = get_user_model()
            for name in options["user"]:
                user = (
                    user_model.objects.filter(username=name).first()
                    or user_model.objects.filter(email__iexact=name).first()
                )
                if user is None:
                    raise CommandError(f"No user {name!r}.")
                connection = usable.filter(user=user).select_related("user").first()
                if connection is None:
                    raise CommandError(f"User {name!r} has no connected deployment.")
                found.append(connection)
            return found
        connections_ = list(usable.select_related("user").order_by("pk"))
        if options["outdated"]:
            connections_ = [c for c in connections_ if c.is_outdated]
        return connections_

    def _progress_bar(self, total: int) -> Callable[[int, int], None]:
        width = 30
        tty = self.stdout.isatty()
        last_line = [-1]

        def show(done: int, failed: int) -> None:
            filled = int(width * done / total)
            text = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} done, {failed} failed"
            if tty:
                self.stdout.write("\r" + text, ending="")
                self.stdout.flush()
            elif done == total or done * 10 // total != last_line[0]:
                # Not a terminal: one line per tenth, so logs stay readable.
                last_line[0] = done * 10 // total
                self.stdout.write(text)

        show(0, 0)
        return show

    def _summary(self, rows: list[Row]) -> None:
        header = ("user", "deploy", "version", "status", "time", "tries", "error")
        table = [header]
        for r in sorted(rows, key=lambda r: (r.status == "succeeded", r.user)):
            versions = f"{_v(r.from_version)}->{_v(r.to_version)}"
            seconds = f"{r.seconds:.1f}s" if r.seconds is not None else "-"
            ident = f"#{r.deployment_id}" if r.deployment_id else "-"
            table.append((r.user, ident, versions, r.status, seconds, str(r.attempts), r.error))
        widths = [max(len(str(row[i])) for row in table) for i in range(len(header) - 1)]
        for row in table:
            cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
            self.stdout.write("  ".join([*cells, row[-1][:120]]).rstrip())
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        self.stdout.write(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))


def _v(version: int | None) -> str:
    return f"v{version}" if version is not None else "none"


def run_many(
    selected: Iterable[Connection],
    *,
    version: int | None,
    dry_run: bool,
    concurrency: int,
    max_wait: float = 3600.0,
    progress: Callable[[int, int], None] | None = None,
    trigger: str = DeploymentTrigger.COMMAND,
) -> list[Row]:
    """Deploy to each connection with a pool of `concurrency` threads; one Row per connection."""
    items = list(selected)
    rows: list[Row] = []
    failed = 0

    def collect(row: Row) -> None:
        nonlocal failed
        rows.append(row)
        failed += row.status != "succeeded"
        if progress is not None:
            progress(len(rows), failed)

    if concurrency == 1:
        # In this thread (and its database connection): no pool needed for one at a time.
        for c in items:
            collect(_deploy_one(c.pk, str(c.user), version, dry_run, max_wait, trigger))
        return rows
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="deploy") as pool:
        futures = [
            pool.submit(_in_thread, c.pk, str(c.user), version, dry_run, max_wait, trigger)
            for c in items
        ]
        for future in as_completed(futures):
            collect(future.result())
    return rows


def _in_thread(*args: Any) -> Row:
    close_old_connections()
    try:
        return _deploy_one(*args)
    finally:
        connections.close_all()  # this thread's connections only


def _deploy_one(
    connection_id: int,
    user: str,
    version: int | None,
    dry_run: bool,
    max_wait: float,
    trigger: str,
) -> Row:
    connection = Connection.objects.get(pk=connection_id)
    try:
        deployment = request_deploy(connection, trigger=trigger, version=version, dry_run=dry_run)
    except Exception as error:  # a refusal (disconnected, unknown version): report it
        return Row(user, None, "refused", error=str(error)[:200])
    deadline = time.monotonic() + max_wait
    while True:
        try:
            run_deploy(deployment.pk)
        except Exception:  # recorded on the row as internal_error (and logged); report it
            log.exception("deploy %s raised", deployment.pk)
        deployment.refresh_from_db()
        if deployment.is_terminal:
            return _row(user, deployment)
        if time.monotonic() > deadline:
            return _row(user, deployment, status="gave up waiting")
        time.sleep(_wait_for(deployment))


def _wait_for(deployment: Deployment) -> float:
    if deployment.next_attempt_at is not None:
        due = (deployment.next_attempt_at - timezone.now()).total_seconds()
        return min(max(due, 0.05), 60.0)
    return POLL_SECONDS  # running in another worker: look again soon


def _row(user: str, deployment: Deployment, *, status: str | None = None) -> Row:
    duration = deployment.duration
    error = ""
    if deployment.error_category and deployment.status != "succeeded":
        error = f"{deployment.error_category}: {deployment.error_message}"
    return Row(
        user=user,
        deployment_id=deployment.pk,
        status=status or deployment.status,
        from_version=deployment.from_version,
        to_version=deployment.to_version,
        seconds=duration.total_seconds() if duration else None,
        attempts=deployment.attempt,
        error=error,
    )
