"""Where a user's content lives, moved only by the connection's own transitions.

- a user connects (or reconnects, or points their connection elsewhere): their content is in
  their own deployment from then on (a connection starts empty; what the main deployment holds
  stays there until moves exist, issue 20);
- a user disconnects: their content is in the main deployment again (no row: the main one).

With moves on (`BYOD_MOVES_ENABLED`), a user whose content is in the main deployment keeps it
there when they connect: the move in after the first deploy (`byod.services.moves`) flips the
location once their content is copied and verified (`byod.transitions.moves.move_done`).

The data plane (`byod.data.locations`) reads the row and never guesses from a connection's
state; each change writes an Event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from byod.conf import conf
from byod.models import Connection, ContentLocation, EventKind, LocationKind
from byod.transitions.base import record

if TYPE_CHECKING:
    from accounts.models import User


def content_in_own(connection: Connection, *, actor: User | None) -> None:
    """`connection`'s user keeps their content in its deployment from now on (`actor`: who
    connected it)."""
    if connection.is_main:
        return
    found = ContentLocation.objects.filter(user_id=connection.user_id).first()
    if found is not None and (found.kind, found.connection_id) == (LocationKind.OWN, connection.pk):
        return
    if found is None and conf().moves.enabled and _main_exists():
        return  # the move in flips it, once the content is there
    ContentLocation.objects.update_or_create(
        user_id=connection.user_id,
        defaults={"connection": connection, "kind": LocationKind.OWN, "changed_at": timezone.now()},
    )
    record(
        connection,
        EventKind.CONTENT_LOCATION_CHANGED,
        "From now on, content is read and written in this deployment.",
        actor=actor,
        data={"kind": LocationKind.OWN},
    )


def content_in_main(connection: Connection, *, actor: User | None) -> None:
    """`connection` was disconnected: its user's content is in the main deployment again (no
    row). What their own deployment holds stays there."""
    if connection.is_main:
        return
    deleted, _ = ContentLocation.objects.filter(user_id=connection.user_id).delete()
    if deleted:
        record(
            connection,
            EventKind.CONTENT_LOCATION_CHANGED,
            "Content is read and written in the main deployment again; what this deployment "
            "holds stays there.",
            actor=actor,
            data={"kind": LocationKind.MAIN},
        )


def _main_exists() -> bool:
    return Connection.objects.filter(is_main=True).exists()
