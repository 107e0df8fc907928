"""Every status change of a Connection or a Deployment, each one writing an Event.

Rules of this module:
- A status field changes only here. Callers pass the row; the function updates the database
  with a conditional UPDATE (``WHERE status IN <allowed>``) so two processes cannot both make
  the same move, then mirrors the new values onto the passed instance.
- A move from a state that does not allow it raises ``TransitionError`` (a kind of
  ``byod.errors.NotAllowed``) and changes nothing.
- Every move writes one Event (who: ``actor``, a user or None for the system; what: ``kind``
  and ``message``; when: ``created_at``). Messages never hold a deploy key.
- Functions open their own ``transaction.atomic()`` block, so they nest inside a caller's.
- Only the holder writes (``fence.py``): a deploy instance a worker runs an attempt with carries
  its token (``Deployment.holder``), and every write made with it is conditional on still
  holding the attempt, in the UPDATE that writes; a stale worker's writes are dropped and logged.
- Lease fields (``lease_owner``, ``lease_expires_at``) belong to the deploy service; no
  transition decides them (``mark_deploy_succeeded`` writes the ones the service hands it, to
  let go of the lease in the same UPDATE).

Connection statuses: pending -> deploying -> connected | error; any -> disconnected;
disconnected -> pending (reconnect). Deployment statuses: queued -> running -> succeeded |
failed; running -> queued (retry scheduled); queued | running -> failed | cancelled | superseded.
Health (``health.py``): unknown -> healthy | degraded | unhealthy, with hysteresis, from batches
of probes.
Migration runs: running -> succeeded | failed | interrupted.
Rollouts (``rollout.py``): planned -> running <-> paused; running -> completed; -> aborted.
Moves of content (``moves.py``): queued -> running -> verifying -> done; running <-> waiting;
running -> queued (worker lost); -> failed | cancelled.
"""

from __future__ import annotations

from byod.transitions.base import NotHolder, TransitionError, event, record
from byod.transitions.connection import (
    connection_created,
    mark_credentials_changed,
    mark_disconnected,
)
from byod.transitions.deployment import (
    deploy_queued,
    mark_deploy_cancelled,
    mark_deploy_failed,
    mark_deploy_retrying,
    mark_deploy_running,
    mark_deploy_succeeded,
    mark_deploy_superseded,
    mark_pushed,
    note,
    save_progress,
)
from byod.transitions.fence import holds
from byod.transitions.health import Probe, record_probes, release_claim
from byod.transitions.migration import (
    close_interrupted,
    mark_contracted,
    mark_expanded,
    migration_failed,
    migration_interrupted,
    migration_started,
    migration_succeeded,
    save_migration_progress,
)
from byod.transitions.moves import NO_SWITCH as NO_MOVE_SWITCH
from byod.transitions.moves import (
    MoveStopped,
    move_cancelled,
    move_done,
    move_failed,
    move_frozen,
    move_interrupted,
    move_purged,
    move_queued,
    move_running,
    move_verifying,
    move_waiting,
)
from byod.transitions.moves import save_progress as save_move_progress
from byod.transitions.rollout import (
    deploying_fields,
    deploys_started,
    rollout_aborted,
    rollout_completed,
    rollout_opened,
    rollout_paused,
    rollout_resumed,
    rollout_started,
    wave_reached,
)

__all__ = [
    "NO_MOVE_SWITCH",
    "MoveStopped",
    "NotHolder",
    "Probe",
    "TransitionError",
    "close_interrupted",
    "connection_created",
    "deploy_queued",
    "deploying_fields",
    "deploys_started",
    "event",
    "holds",
    "mark_contracted",
    "mark_credentials_changed",
    "mark_deploy_cancelled",
    "mark_deploy_failed",
    "mark_deploy_retrying",
    "mark_deploy_running",
    "mark_deploy_succeeded",
    "mark_deploy_superseded",
    "mark_disconnected",
    "mark_expanded",
    "mark_pushed",
    "migration_failed",
    "migration_interrupted",
    "migration_started",
    "migration_succeeded",
    "move_cancelled",
    "move_done",
    "move_failed",
    "move_frozen",
    "move_interrupted",
    "move_purged",
    "move_queued",
    "move_running",
    "move_verifying",
    "move_waiting",
    "note",
    "record",
    "record_probes",
    "release_claim",
    "rollout_aborted",
    "rollout_completed",
    "rollout_opened",
    "rollout_paused",
    "rollout_resumed",
    "rollout_started",
    "save_migration_progress",
    "save_move_progress",
    "save_progress",
    "wave_reached",
]
