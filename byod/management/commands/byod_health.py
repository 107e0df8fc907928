"""Check the health of some or all connections, in this process, and report.

    manage.py byod_health (--user U ... | --all | --due) [--concurrency K]

Parses, selects, calls `byod.services.health.check_in_process` (claims like the workers' sweep,
so the two never probe a connection at once), and reports: a progress bar, a table of the
connections that are not healthy, and counts; exits non-zero when any selected connection is
unhealthy.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from byod.management.reporting import ProgressBar, select_connections, shorten, table
from byod.models import Connection, Health
from byod.services.health import check_in_process


class Command(BaseCommand):
    help = "Probe connections now (key, functions, version) and report their health."

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", action="append", metavar="U", help="username or email")
        who.add_argument("--all", action="store_true", help="every connection with a key")
        who.add_argument("--due", action="store_true", help="connections due for a check")
        parser.add_argument("--concurrency", type=int, default=None, metavar="K")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["concurrency"] is not None and options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1.")
        selected = select_connections(
            options["user"],
            Connection.objects.usable().due_for_check(timezone.now())
            if options["due"]
            else Connection.objects.usable(),
        )
        if not selected:
            self.stdout.write("No connections to check.")
            return
        bar = ProgressBar(self.stdout, len(selected))
        checked, skipped = check_in_process(
            selected,
            only_due=options["due"],
            concurrency=options["concurrency"],
            progress=lambda done, total: bar.show(done),
        )
        bar.finish()
        rows = list(
            Connection.objects.filter(pk__in=[c.pk for c in selected])
            .select_related("user")
            .order_by("user__username")
        )
        self._summary(rows)
        self.stdout.write(f"Checked {checked}, skipped {skipped} (being deployed or checked).")
        unhealthy = [c for c in rows if c.health == Health.UNHEALTHY]
        if unhealthy:
            raise CommandError(f"{len(unhealthy)} of {len(rows)} connection(s) are unhealthy.")

    def _summary(self, rows: list[Connection]) -> None:
        lines = [("user", "health", "reason", "last check", "ms", "what to do")]
        for c in rows:
            if c.health == Health.HEALTHY:
                continue
            when = f"{c.last_check_at:%H:%M:%S}" if c.last_check_at else "never"
            ms = str(c.last_check_ms) if c.last_check_ms is not None else "-"
            lines.append(
                (str(c.user), c.health, c.health_reason, when, ms, shorten(c.health_message, 120))
            )
        if len(lines) > 1:
            for line in table(lines):
                self.stdout.write(line)
        counts = Counter(c.health for c in rows)
        self.stdout.write(", ".join(f"{n} {state}" for state, n in sorted(counts.items())))
