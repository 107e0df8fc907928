"""New credentials for a different deployment (the move's side; the form's side, checking and
asking, is `byod.services.moves.switch`) while the user's content lives in the old one:
the user chooses (the credentials form asks; nothing happens silently).

- start empty there: the credentials are replaced at once (`connections.update_credentials`);
  the old deployment keeps its data, and the location follows the connection to the new one.
- move it there: the same machinery as every move, by way of the main deployment. A move back
  (old -> main, verified, then the location is main) runs first, with the connection still on
  the old URL and key, so the move reads the old deployment with the credentials it always had.
  The new URL and key wait on the Move row, sealed like a connection's key (`Move.switch_*`);
  once the move is done, in the same transaction, they replace the old ones and a deploy to the
  new deployment is queued; its first deploy brings the content in (`after_first_deploy`).
  A move that fails or is given up erases them (`transitions.move_failed`/`move_cancelled`),
  and the old deployment stays connected with the content where it was.

Why this way and not a second connection row or a direct old -> new move: a user has one
connection (the data plane, deploys, leases and the page all key on it) and the data plane reads
one location. Going by the main deployment keeps the content in exactly one place at every
moment (old, then main, then new), needs no copy of the old credentials beyond the connection's
own, and reuses moves that are verified both ways. It needs a main deployment and moves on;
without them the form offers only "start empty".
"""

from __future__ import annotations

from django.dispatch import Signal

from byod import keys, transitions
from byod.models import Connection, Move
from byod.models import MoveDirection as MD

# Sent (in the move's transaction) once new credentials replaced the old ones: the receiver
# (`byod.services.moves.switch.deploy_switched`, connected at start-up) queues the first deploy
# to the new deployment. A signal because deploys start moves (`after_first_deploy`): a direct
# call back into them from here would close an import cycle.
credentials_switched = Signal()


def finish(move: Move) -> None:
    """The move back is done (called in its transaction): the waiting credentials replace the
    old ones, are erased from the move, and the new deployment's first deploy is asked for."""
    if not move.switch_url or move.direction != MD.BACK:
        return
    own = Connection.objects.select_for_update().get(pk=move.source_id)
    transitions.mark_credentials_changed(
        own,
        actor=move.requested_by,
        sealed=keys.Sealed(key_id=move.switch_key_id, ciphertext=move.switch_key_ciphertext),
        url=move.switch_url,
        deployment_name=move.switch_deployment_name,
        keep_status=False,
    )
    Move.objects.filter(pk=move.pk).update(**transitions.NO_MOVE_SWITCH)
    for name, value in transitions.NO_MOVE_SWITCH.items():
        setattr(move, name, value)
    credentials_switched.send(sender=Move, connection=own, actor=move.requested_by)
