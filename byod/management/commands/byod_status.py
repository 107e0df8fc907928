"""Print every connection: user, status, deployed vs current version, last error.

manage.py byod_status [--user U ...] [--outdated] [--failing]
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from byod.models import Connection, ConnectionStatus

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
            rows = rows.filter(status=ConnectionStatus.ERROR)
        selected = [c for c in rows if not options["outdated"] or c.is_outdated]
        if not selected:
            self.stdout.write("No connections.")
            return
        table = [("USER", "STATUS", "DEPLOYED", "CURRENT", "LAST DEPLOY", "LAST ERROR")]
        for c in selected:
            table.append(
                (
                    c.user.get_username(),
                    c.status,
                    "-" if c.deployed_version is None else f"v{c.deployed_version}",
                    f"v{c.current_version}" + (" (outdated)" if c.is_outdated else ""),
                    f"{c.last_deploy_at:%Y-%m-%d %H:%M}" if c.last_deploy_at else "-",
                    _error(c),
                )
            )
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        for row in table:
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
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
