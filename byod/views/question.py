"""What the credentials form asks when the user's content lives in the connected deployment:
move it to a new one, or start empty there (`byod.services.moves.switch`)."""

from __future__ import annotations

from typing import Any

from byod.models import Connection
from byod.services.moves import switch


def question(connection: Connection) -> dict[str, Any]:
    """What the form asks about the content (nothing when it does not live here)."""
    if not switch.content_lives_in(connection):
        return {}
    offered, why = switch.move_offered(connection)
    return {"switch_question": True, "move_offered": offered, "move_missing_reason": why}
