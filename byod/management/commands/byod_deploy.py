"""Deploy the package to some or all connections, in this process, K at a time.

    manage.py byod_deploy (--user U ... | --all | --outdated) [--version N] [--dry-run]
                          [--concurrency K]

Parses, selects, calls `byod.services.deploys.batch.deploy_now`, and reports: a progress bar and a
summary table; exits non-zero when any deploy did not succeed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from byod.management.reporting import ProgressBar, select_connections, table
from byod.models import Connection
from byod.services.deploys.batch import Outcome, deploy_now


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
        if options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1.")
        selected = select_connections(
            options["user"],
            Connection.objects.usable().outdated()
            if options["outdated"]
            else Connection.objects.usable(),
        )
        if not selected:
            self.stdout.write("No connections to deploy.")
            return
        bar = ProgressBar(self.stdout, len(selected))
        outcomes = deploy_now(
            selected,
            version=options["version"],
            dry_run=options["dry_run"],
            concurrency=options["concurrency"],
            max_wait=options["max_wait"],
            progress=lambda done, failed: bar.show(done, f"{failed} failed"),
        )
        bar.finish()
        self._summary(outcomes)
        failed = [o for o in outcomes if not o.succeeded]
        if failed:
            raise CommandError(f"{len(failed)} of {len(outcomes)} deploys did not succeed.")
        done = "Dry run of" if options["dry_run"] else "Deployed"
        self.stdout.write(self.style.SUCCESS(f"{done} {len(outcomes)} connection(s)."))

    def _summary(self, outcomes: list[Outcome]) -> None:
        rows = [("user", "deploy", "version", "status", "time", "tries", "error")]
        for o in sorted(outcomes, key=lambda o: (o.succeeded, o.user)):
            rows.append(
                (
                    o.user,
                    f"#{o.deployment_id}" if o.deployment_id else "-",
                    f"{_v(o.from_version)}->{_v(o.to_version)}",
                    o.status,
                    f"{o.seconds:.1f}s" if o.seconds is not None else "-",
                    str(o.attempts),
                    o.error[:120],
                )
            )
        for line in table(rows):
            self.stdout.write(line)
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        self.stdout.write(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))


def _v(version: int | None) -> str:
    return f"v{version}" if version is not None else "none"
