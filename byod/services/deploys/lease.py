"""The lease a worker holds on a connection while it deploys: at most one holder at a time.

Taking, renewing and releasing are conditional UPDATEs of ``lease_owner`` / ``lease_expires_at``,
so the database decides between racing workers. A worker that dies stops renewing; once the
lease expires anyone may take it over (the reaper does, to record the lost attempt).

The lease covers every call that changes the deployment for as long as that call may run (its
deadline): before such a call, a lease that would expire sooner is renewed for longer, and
afterwards back to its usual length. A slow call (a deployment answering late) therefore never
lets another worker start deploying to the same connection while it is under way; only a
worker that stops altogether (killed, or paused past its lease) loses it. What a worker that
lost its lease may still try to record is fenced (`byod.transitions.fence`).

The lease records what holds it (`lease_kind`): a deploy, or a move of a user's content
(`byod.services.moves`), so the two never run on one connection at once and a deploy that finds
a move holding it knows to look again soon.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from byod.conf import conf
from byod.errors import LeaseLost
from byod.models import Connection, LeaseKind

# Beyond a covered call's deadline: clocks of two machines differ a little, and the call's
# answer is read and recorded after its deadline is checked.
COVER_MARGIN_SECONDS = 5.0


def lease_seconds() -> float:
    configured = conf()
    # Long enough for the slowest single call of a deploy (its deadline), renewed between calls.
    return configured.deploys.lease_seconds or max(60.0, 2 * configured.calls.deploy.call)


def new_owner() -> str:
    """A name for one holder: host, process and a random part."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def take(connection_id: int, owner: str, *, kind: str = LeaseKind.DEPLOY) -> bool:
    """Claim the connection for `owner` (a deploy, or a move: `kind`) if nobody holds a live
    lease on it."""
    now = timezone.now()
    free = Q(lease_owner="") | Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    taken = (
        Connection.objects.filter(pk=connection_id)
        .filter(free | Q(lease_owner=owner))
        .update(
            lease_owner=owner,
            lease_kind=kind,
            lease_expires_at=now + timedelta(seconds=lease_seconds()),
        )
    )
    return taken == 1


def take_many(
    connection_ids: list[int], owner: str, also: dict[str, Any] | None = None
) -> set[int]:
    """Claim each connection nobody holds a live lease on, in one UPDATE (which also sets the
    fields of `also` on the connections taken); the ids taken."""
    now = timezone.now()
    free = Q(lease_owner="") | Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    taken = (
        Connection.objects.filter(pk__in=connection_ids)
        .filter(free)
        .update(
            lease_owner=owner,
            lease_kind=LeaseKind.DEPLOY,
            lease_expires_at=now + timedelta(seconds=lease_seconds()),
            **(also or {}),
        )
    )
    if taken == len(connection_ids):
        return set(connection_ids)
    held = Connection.objects.filter(pk__in=connection_ids, lease_owner=owner)
    return set(held.values_list("pk", flat=True))


def renew(connection_id: int, owner: str, *, seconds: float | None = None) -> None:
    """Extend our lease (to `seconds` from now; default its usual length); raises LeaseLost
    when it is no longer ours."""
    length = lease_seconds() if seconds is None else seconds
    renewed = Connection.objects.filter(pk=connection_id, lease_owner=owner).update(
        lease_expires_at=timezone.now() + timedelta(seconds=length)
    )
    if renewed != 1:
        raise LeaseLost(f"lease on connection {connection_id} lost")


def release(connection_id: int, owner: str) -> None:
    Connection.objects.filter(pk=connection_id, lease_owner=owner).update(
        lease_owner="", lease_kind="", lease_expires_at=None
    )


class Lease:
    """A held lease that renews itself when a third of it has passed: call often, writes rarely."""

    def __init__(self, connection_id: int, owner: str) -> None:
        self.connection_id = connection_id
        self.owner = owner
        now = time.monotonic()
        self._renewed_at = now
        self._expires_at = now + lease_seconds()  # as we last set it (monotonic)
        # Set when the lease was let go with another write (a deploy's success).
        self.released = False

    def keep_alive(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._renewed_at > lease_seconds() / 3:
            renew(self.connection_id, self.owner)
            self._renewed_at, self._expires_at = now, now + lease_seconds()

    @contextlib.contextmanager
    def covering(self, deadline: float) -> Iterator[None]:
        """Hold the lease at least until `deadline` (monotonic seconds), the end of a call that
        changes the deployment: renewed for longer first if it would expire sooner, back to
        its usual length afterwards. (The client enters it around such calls: `Session.hold`.)"""
        now = time.monotonic()
        needed = deadline + COVER_MARGIN_SECONDS
        if needed <= self._expires_at:
            yield
            return
        renew(self.connection_id, self.owner, seconds=needed - now)
        self._renewed_at, self._expires_at = now, needed
        try:
            yield
        finally:
            with contextlib.suppress(LeaseLost):  # found out, and said, at the next step
                self.keep_alive(force=True)
