"""Register the main deployment from the settings, or show it.

    manage.py byod_main_deployment            register or update it (idempotent)
    manage.py byod_main_deployment --status   show it, change nothing

The URL and key come from BYOD_MAIN_DEPLOYMENT_URL and BYOD_MAIN_DEPLOYMENT_KEY_FILE; the key
is never printed. Once registered, the main deployment is deployed, rolled out and checked like
any user's (`byod_deploy`, `byod_rollout`, `byod_health`) and shown in the admin as "main".
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from byod.errors import ByodError
from byod.models import Connection, ContentLocation
from byod.services import main_deployment


class Command(BaseCommand):
    help = "Register the main deployment from BYOD_MAIN_DEPLOYMENT_* (or show it with --status)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--status", action="store_true", help="show it; change nothing")
        parser.add_argument(
            "--confirm-foreign",
            action="store_true",
            help="register even if the deployment already holds tables of another project",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["status"]:
            try:
                done = main_deployment.register(confirm_foreign=options["confirm_foreign"])
            except ByodError as error:
                raise CommandError(f"{error.category}: {error.user_message}") from None
            said = "registered or updated" if done.changed else "already registered, unchanged"
            self.stdout.write(self.style.SUCCESS(f"Main deployment {said}."))
        connection = Connection.objects.filter(is_main=True).first()
        if connection is None:
            raise CommandError("No main deployment is registered.")
        own = ContentLocation.objects.filter(kind="own").count()
        self.stdout.write(
            f"url: {connection.url}\nstatus: {connection.status}\n"
            f"deployed version: {connection.deployed_version or 'none'}\n"
            f"health: {connection.health}"
            + (f" ({connection.health_reason})" if connection.health_reason else "")
            + f"\nusers with their own deployment: {own} (everyone else's content is here)"
        )
