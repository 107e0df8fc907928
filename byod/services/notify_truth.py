"""Whether a mail still tells the truth when the outbox sends it.

A notification is collected from what was recorded and sent a little later (the next outbox
run; after the mail server came back). Meanwhile the user may have saved a working key, a
check may have passed, a newer deploy may have succeeded. Just before sending, each kind's
condition is checked against the rows as they are now (`why_not`); one that stopped holding is
not sent but marked obsolete, with why.

"Healthy again" follows only trouble the user was actually told about (`TROUBLE`, sent and
newer than the last "healthy again" sent): no "healthy again" for a "needs attention" that was
never sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q

from byod.errors import DRIFT, find
from byod.models import (
    Connection,
    ConnectionStatus,
    Event,
    Health,
    Notification,
    NotificationKind,
    NotificationStatus,
)
from byod.services import releases

K = NotificationKind
# Mails about trouble a fix should be followed by "healthy again" for: the connection became
# unhealthy, drifted, or a deploy failed for a reason about the deployment (its key, its
# state, no answer). Marked in the row's context when it is made (`is_trouble`), with the id
# of the Event it tells of: only a later Event can tell of its fix.
TROUBLE = (K.UNHEALTHY, K.DRIFT, K.DEPLOY_FAILED)
TROUBLE_MARK = "health_trouble"


def is_trouble(kind: str, category: str = "") -> bool:
    """Whether a mail of `kind` (a failed deploy's `category`) tells of health trouble."""
    if kind == K.DEPLOY_FAILED:
        found = find(category)
        return found is not None and found.about_deployment
    return kind in TROUBLE


def troubled(
    connection_ids: set[int], statuses: Sequence[str], *, before: int = 0
) -> dict[int, int]:
    """The connections told of trouble (a row in `statuses`; made before the row `before`, if
    given) after their last "healthy again" in those statuses, each with the Event the trouble
    came from (its mark). One query."""
    rows = Notification.objects.filter(connection_id__in=connection_ids, status__in=statuses)
    if before:
        rows = rows.filter(pk__lt=before)
    marked = Q(kind__in=TROUBLE, context__has_key=TROUBLE_MARK)
    newest: dict[tuple[int, bool], tuple[int, int]] = {}  # (connection, recovery) -> (row, mark)
    for cid, pk, kind, context in rows.filter(marked | Q(kind=K.RECOVERED)).values_list(
        "connection_id", "pk", "kind", "context"
    ):
        place = (cid, kind == K.RECOVERED)
        if pk > newest.get(place, (0, 0))[0]:
            newest[place] = (pk, int(context.get(TROUBLE_MARK) or 0))
    return {
        cid: mark
        for (cid, recovery), (pk, mark) in newest.items()
        if not recovery and pk > newest.get((cid, True), (0, 0))[0]
    }


def why_not(row: Notification) -> str:
    """Why what `row` says is no longer true ("": it still is). `row.connection` is loaded."""
    c = row.connection
    if c is None:
        return ""  # the operators' digest: a summary of what happened, true once written
    if c.status == ConnectionStatus.DISCONNECTED:
        return "the user disconnected"
    kind, key = row.kind, row.key
    if kind in (K.UNHEALTHY, K.DRIFT):
        return _health_trouble_gone(row, c)
    if kind == K.RECOVERED:
        if c.health != Health.HEALTHY:
            return "not healthy any more"
        if row.connection_id not in troubled({c.pk}, [NotificationStatus.SENT], before=row.pk):
            return "no mail told of trouble since the last 'healthy again'"
        return ""
    if kind == K.DEPLOY_FAILED:
        failed = _number(key, "deploy:")
        if c.deployments.real().filter(pk__gt=failed).exists():
            return "a newer deploy was started"
        return "" if c.status == ConnectionStatus.ERROR else "the deploy is not failing any more"
    version = _number(key, "v")
    if kind == K.VERSION_APPLIED:
        return "" if c.deployed_version == version else "it runs another version now"
    if kind == K.VERSION_AVAILABLE:
        if releases.offered_update(c) == version:
            return ""
        return "it runs that version (or a newer one) now, or no rollout offers it any more"
    return ""


def _health_trouble_gone(row: Notification, c: Connection) -> str:
    event = Event.objects.filter(pk=_number(row.key, "event:")).first()
    if c.health != Health.UNHEALTHY:
        return "not unhealthy any more"
    if row.kind == K.DRIFT and c.health_reason != DRIFT:
        return "no drift any more"
    if c.consecutive_successes:
        return "a check passed since"
    if event is not None and c.key_changed_at is not None and c.key_changed_at > event.created_at:
        return "new credentials since"
    return ""


def _number(key: str, prefix: str) -> int:
    text = key.removeprefix(prefix)
    return int(text) if text.isdigit() else 0
