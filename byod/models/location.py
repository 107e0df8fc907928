"""Where a user's content lives: the main deployment or their own, never guessed.

One row per user who has content somewhere other than the default: ``kind`` says which, and
``connection`` is the Connection whose deployment holds it (the user's own, or the main one,
``Connection.is_main``). No row means the main deployment. Rows are written only by
``byod.transitions.location`` (connect: own; disconnect: main), so the data plane reads the
place and never infers it from a connection's state.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class LocationKind(models.TextChoices):
    MAIN = "main", "The main deployment"
    OWN = "own", "The user's own deployment"


class ContentLocation(models.Model):
    """The deployment that holds one user's content."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="content_location"
    )
    # RESTRICT: a connection row holding someone's content is never deleted under it (unless
    # its user is deleted, which deletes the location too).
    connection = models.ForeignKey(
        "byod.Connection", on_delete=models.RESTRICT, related_name="content_locations"
    )
    kind = models.CharField(max_length=8, choices=LocationKind.choices)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=LocationKind.values), name="byod_location_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} -> {self.kind} ({self.connection_id})"
