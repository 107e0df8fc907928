"""Print every connection: user, status, deployed vs current version, last error.

manage.py byod_status [--user U ...] [--outdated] [--failing]
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from byod import package
from byod.management.reporting import table
from byod.models import Connection

ERROR_WIDTH = 60


class Command(BaseCommand):
    help = "Show each connection's status, deployed vs current version and last error."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", action="append", metavar="U", help="username (repeatable)")
        parser.add_argument("--outdated", action="store_true", help="only behind current version")
        parser.add_argument("--failing", action="store_true", help="only connections in error")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = Connection.objects.select_related("user").order_by("user__username")
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
        lines = [("USER", "STATUS", "DEPLOYED", "CURRENT", "LAST DEPLOY", "LAST ERROR")]
        for c in selected:
            lines.append(
                (
                    c.user.get_username(),
                    c.status,
                    "-" if c.deployed_version is None else f"v{c.deployed_version}",
                    f"v{current}" + (" (outdated)" if c.is_outdated else ""),
                    f"{c.last_deploy_at:%Y-%m-%d %H:%M}" if c.last_deploy_at else "-",
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


def _error(connection: Connection) -> str:
    if not connection.last_error_category:
        return "-"
    text = f"{connection.last_error_category}: {connection.last_error_message}".replace("\n", " ")
    return text if len(text) <= ERROR_WIDTH else text[: ERROR_WIDTH - 1] + "…"
