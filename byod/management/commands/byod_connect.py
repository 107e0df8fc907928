"""Connect a user's Convex deployment from a shell.

    manage.py byod_connect --user U --url URL --key-file F   (F = "-" reads standard input)

The deploy key is read from a file or standard input, never from the command line (argv is
visible to every user of the machine and lands in shell history). Prints the outcome, never
the key, and exits non-zero when the connection was refused.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.views.decorators.debug import sensitive_variables

from byod.errors import ByodError, ForeignTablesError, InputError
from byod.management.reporting import find_users
from byod.models import DeploymentTrigger
from byod.services import connections


class Command(BaseCommand):
    help = "Connect a user's Convex deployment (the key comes from a file or stdin)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # No abbreviations: "--key <the key>" must not pass for "--key-file".
        parser = super().create_parser(prog_name, subcommand, allow_abbrev=False, **kwargs)

        def parse_args(args: Any = None, namespace: Any = None) -> Any:
            # argparse would echo unknown arguments, and one of them may be a key.
            known, extra = parser.parse_known_args(args, namespace)
            if extra:
                names = [a.split("=", 1)[0] for a in extra if a.startswith("-")]
                parser.error(
                    f"unknown option(s): {', '.join(names) or '(extra values)'}. The deploy key "
                    'is read only from --key-file (a file, or "-" for standard input), never '
                    "from the command line."
                )
            return known

        parser.parse_args = parse_args  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--user", required=True, metavar="U", help="username or email")
        parser.add_argument("--url", required=True, help="deployment URL")
        parser.add_argument(
            "--key-file",
            required=True,
            metavar="F",
            help='file holding the deploy key, or "-" to read it from standard input',
        )
        parser.add_argument(
            "--confirm-foreign",
            action="store_true",
            help="connect even if the deployment already holds tables of another project",
        )

    @sensitive_variables("key")
    def handle(self, *args: Any, **options: Any) -> None:
        [user] = find_users([options["user"]])
        key = _read_key(options["key_file"])
        try:
            connection = connections.connect(
                user,
                options["url"],
                key,
                actor=None,
                confirm_foreign=options["confirm_foreign"],
                trigger=DeploymentTrigger.COMMAND,
            )
        except ByodError as error:
            raise CommandError(_refusal(error)) from None
        deploy = connection.deployments.order_by("-id").first()
        self.stdout.write(
            self.style.SUCCESS(
                f"Connected {user.get_username()} to {connection.url} "
                f"(deployment {connection.deployment_name or '-'}); status {connection.status}."
            )
        )
        if deploy is not None and deploy.is_active:
            self.stdout.write(
                f"Deploy #{deploy.pk} of v{deploy.to_version} is {deploy.status}; the task "
                f"worker runs it (or run: manage.py byod_deploy --user {user.get_username()})."
            )


def _refusal(error: ByodError) -> str:
    if isinstance(error, ForeignTablesError):
        return f"{error.user_message} (rerun with --confirm-foreign)"
    if isinstance(error, InputError):
        return f"Refused ({error.field}): {error.user_message}"
    return (
        f"The deployment refused ({error.category}): {error.user_message}\nDetail: {error.detail}"
    )


@sensitive_variables("text")
def _read_key(source: str) -> str:
    if source == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(source).read_text()
        except OSError as error:
            # The path is not repeated: it may be a key pasted where the path belongs.
            raise CommandError(
                f"Cannot read the key file ({error.strerror}). Give the path of a file that "
                'holds the deploy key, or "-" to read it from standard input.'
            ) from None
    text = text.strip()
    if not text:
        raise CommandError("The key file is empty; put the deploy key in it (one line).")
    return text
