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
