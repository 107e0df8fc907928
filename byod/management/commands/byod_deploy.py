"""Deploy the package to some or all connections, in this process, K at a time.

    manage.py byod_deploy (--user U ... | --all | --outdated) [--version N] [--dry-run]
                          [--concurrency K] [--allow-downgrade [--yes]]

Parses, selects, calls `byod.services.deploys.batch.deploy_now`, and reports: a progress bar and a
summary table; exits non-zero when any deploy did not succeed. A version older than what a
selected connection runs is refused without --allow-downgrade; with it, what going back loses is
listed and asked about again (--yes answers).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from byod.management.reporting import (
    ProgressBar,
    ask,
    logs_held,
    select_connections,
    shorten,
    table,
)
from byod.models import Connection
from byod.services.deploys.batch import Outcome, deploy_now
from byod.services.migrations.plan import downgrade_losses


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
        parser.add_argument(
            "--allow-downgrade",
            action="store_true",
            help="needed when --version is older than a selected connection's version; the "
            "command then lists what going back loses and asks again",
        )
        parser.add_argument("--yes", action="store_true", help="do not ask (a way back)")

    def handle(self, *args: Any, **options: Any) -> None:
        # Log lines would run into the bar and the table: held, and written after them.
        with logs_held(self.stderr):
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
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
        version = options["version"]
        if (
            version is not None
            and not options["dry_run"]
            and not self._may_go_back(selected, version, options)
        ):
            self.stdout.write("Nothing deployed.")
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

    def _may_go_back(
        self, selected: list[Connection], version: int, options: dict[str, Any]
    ) -> bool:
        """A deploy of an older version than a connection runs needs --allow-downgrade, and a
        second answer once what it loses is shown (--yes answers it)."""
        back = [c for c in selected if (c.deployed_version or 0) > version]
        if not back:
            return True
        who = ", ".join(f"{c.user} (v{c.deployed_version})" for c in back[:8])
        who += f" and {len(back) - 8} more" if len(back) > 8 else ""
        if not options["allow_downgrade"]:
            raise CommandError(
                f"v{version} is older than what {len(back)} connection(s) run: {who}. Going "
                "back loses data: add --allow-downgrade to see what, and confirm."
            )
        losses = downgrade_losses({c.deployed_version or 0 for c in back}, version)
        self.stdout.write(f"Going back to v{version} on {len(back)} connection(s): {who}.")
        self.stdout.write("It loses:" if losses else "Nothing recorded is lost.")
        for loss in losses:
            self.stdout.write(f"  - {loss}")
        if options["yes"]:
            return True
        return ask(self.stdout, f"Go back to v{version} and lose this? [y/N] ")

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
                    shorten(o.error, 120),
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
