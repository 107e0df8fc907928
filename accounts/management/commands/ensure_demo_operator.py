from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the demo operator (staff + superuser) once and print its login that one time."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="operator")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"Demo operator {username!r} exists (its password was printed once).")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created the demo operator. Log in at /admin/ as {username} / {password}\n"
                "This password is shown only now; use `manage.py changepassword` to reset it."
            )
        )
