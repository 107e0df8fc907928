from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A user of the chat product.

    ``external_id`` is the stable, opaque id we write as ``userId`` into the user's own
    Convex deployment. The integer primary key never leaves this database.
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("email address", blank=True)


def user_named(name: str) -> User | None:
    """The user whose username is `name`, else the one whose email is (any case); None if none.
    How operators name users, in the commands and in the admin."""
    users = User.objects
    return users.filter(username=name).first() or users.filter(email__iexact=name).first()


class Throttle(models.Model):
    """How often one key (a hashed user or address) did one kind of thing in the current window.

    Rows are counters in fixed windows, updated with conditional UPDATEs so that every web
    process and machine shares them without another service (see ``accounts.throttle``).
    """

    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=64, help_text="sha256 of what is counted, never in clear")
    window_end = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="accounts_throttle_one_row")
        ]
        indexes = [models.Index(fields=["window_end"], name="accounts_throttle_window_idx")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key[:8]}: {self.hits} until {self.window_end:%H:%M:%S}"
