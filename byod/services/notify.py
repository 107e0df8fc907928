"""Telling people: mails derived from what was recorded, each sent once, from the worker.

Nothing here is called by a deploy or a probe. The outbox (a scheduled task, every minute)
reads the audit trail since its place (`Outbox`) and what the rows say now, and writes one
`Notification` per thing to tell, unique per connection, kind and version or state:
- a deploy failed for good (`deploy.failed`, not a dry run): to the user;
- a version was applied (`deploy.succeeded` that changed the version): to the user; the
  connection is also made due for a health check, so health reflects the new version soon;
- the deployment became unhealthy or runs something else (drift): to the user (a health
  change a failed deploy found is told by that deploy's mail);
- the deployment is healthy again after trouble the user was told of (unhealthy, drift, a
  deploy that failed for a reason about the deployment): to the user, once per fix;
- a newer version is available (a rollout offers it to the connection, which runs an older one
  and has no deploy under way: `ConnectionQuerySet.offered_update`): to the user, once per
  version;
- to operators (BYOD_OPERATOR_EMAILS), one digest per outbox sweep that found changes.
Then it sends what is pending (`byod.services.notify_send`): each row is claimed by a
conditional UPDATE before its mail goes out, so several workers never send one twice (and a
send that died half-way is not repeated).
Just before sending, what the mail says is checked again (`byod.services.notify_truth`): one
that stopped being true (the key was fixed, a check passed, a newer deploy ran) is not sent
but marked obsolete. Users who opted out (settings page) or have no address, then or now, get a
row marked skipped, not a mail. Mails have a text and an HTML part, link back to the settings
page at the address people reach the site at (`byod.services.site`) and never hold a key.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import CharField, Exists, Max, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.tasks import task
from django.utils import timezone

from byod import package
from byod.conf import conf
from byod.errors import find
from byod.models import (
    ACTIVE_DEPLOYMENT_STATUSES,
    Connection,
    Event,
    EventKind,
    Notification,
    NotificationKind,
    NotificationStatus,
    Outbox,
)
from byod.services.notify_send import send_pending
from byod.services.notify_truth import TROUBLE_MARK, is_trouble, troubled

log = logging.getLogger(__name__)

K = NotificationKind
# Events the outbox reads; the digest tells operators about all of them.
EVENT_KINDS = [
    EventKind.DEPLOY_FAILED,
    EventKind.DEPLOY_SUCCEEDED,
    EventKind.HEALTH_UNHEALTHY,
    EventKind.HEALTH_RECOVERED,
    EventKind.HEALTH_DRIFT,
    EventKind.HEALTH_HEALTHY,  # read only to say "healthy again" after trouble: not digested
]
HEALED = (EventKind.HEALTH_HEALTHY, EventKind.HEALTH_RECOVERED)
LIVE = [NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.SENT]
# An event's transaction may still be open this long after it was written: the outbox's place
# moves past an event only once it is older (newer ones are read again; rows are unique).
SETTLE = timedelta(seconds=60)
PAGE = 5000


@dataclass
class OutboxRun:
    created: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    failed: int = 0
    digest: bool = False


# --- collecting ----------------------------------------------------------------------------


def collect() -> OutboxRun:
    """Write the notifications owed for what happened since the outbox's place (one collector at
    a time: the Outbox row is locked; any number may try)."""
    Outbox.objects.get_or_create(pk=1)
    run = OutboxRun()
    now = timezone.now()
    with transaction.atomic():
        outbox = Outbox.objects.select_for_update().get(pk=1)
        start = outbox.last_event_id
        events = list(
            Event.objects.filter(pk__gt=start, kind__in=EVENT_KINDS)
            .select_related("connection__user", "deployment")
            .order_by("pk")[:PAGE]
        )
        # Connections told of trouble and not yet of its fix (and the Event of the trouble):
        # "healthy again" is owed them at a later Event that finds them healthy.
        healing = {e.connection_id for e in events if e.kind in HEALED}
        told = troubled(healing, LIVE) if healing else {}
        owed = [n for e in events if (n := _for_event(e, told)) is not None]
        owed += _versions_available()
        settled: list[Event] = []  # the oldest events, up to the first that may not be final
        for e in events:
            if e.created_at > now - SETTLE:
                break
            settled.append(e)
        if settled:
            digest = _digest(start, [e for e in settled if e.kind != EventKind.HEALTH_HEALTHY])
            if digest is not None:
                owed.append(digest)
                run.digest = True
            outbox.last_event_id = settled[-1].pk
            outbox.save(update_fields=["last_event_id", "updated_at"])
        before = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
        Notification.objects.bulk_create(owed, ignore_conflicts=True)
        for kind in Notification.objects.filter(pk__gt=before).values_list("kind", flat=True):
            run.created[kind] += 1
        _check_after_deploys([e for e in events if e.kind == EventKind.DEPLOY_SUCCEEDED])
    return run


def _for_event(event: Event, told: dict[int, int]) -> Notification | None:
    """The notification `event` calls for, if any; `told` (connections told of trouble and not
    yet of its fix: the trouble's Event) is kept up to date along the events."""
    made = _made_for(event, told)
    if made is not None and made.status == NotificationStatus.PENDING:
        if made.kind == K.RECOVERED:
            told.pop(event.connection_id, None)
        elif made.context.get(TROUBLE_MARK):
            told[event.connection_id] = event.pk
    return made


def _made_for(event: Event, told: dict[int, int]) -> Notification | None:
    connection, deployment = event.connection, event.deployment
    if event.kind in (EventKind.DEPLOY_FAILED, EventKind.DEPLOY_SUCCEEDED):
        if deployment is None or deployment.dry_run:
            return None
        if event.kind == EventKind.DEPLOY_FAILED:
            category = find(deployment.error_category)
            return _to_user(
                connection,
                K.DEPLOY_FAILED,
                f"deploy:{deployment.pk}",
                headline=f"Deploying version {deployment.to_version} to your database failed",
                paragraphs=[
                    deployment.error_message or (category.message if category else ""),
                    "Your deployment keeps running the version it had; nothing was lost.",
                ],
                trouble=event.pk if is_trouble(K.DEPLOY_FAILED, deployment.error_category) else 0,
            )
        if deployment.from_version == deployment.to_version:
            return None  # a redeploy of the same version: nothing new to tell
        return _to_user(
            connection,
            K.VERSION_APPLIED,
            f"v{deployment.to_version}",
            headline=f"Your database now runs version {deployment.to_version}",
            paragraphs=[_changes(deployment.from_version, deployment.to_version)],
        )
    if event.kind == EventKind.HEALTH_DRIFT:
        return _to_user(
            connection,
            K.DRIFT,
            f"event:{event.pk}",
            headline="Your database runs something other than our version",
            paragraphs=[event.message, "Use Redeploy on the settings page to fix it."],
            trouble=event.pk,
        )
    if event.kind == EventKind.HEALTH_UNHEALTHY:
        if (event.data or {}).get("source") == "deploy":
            return None  # found by a failed deploy: its own mail says so
        return _to_user(
            connection,
            K.UNHEALTHY,
            f"event:{event.pk}",
            headline="Your database needs attention",
            paragraphs=[connection.health_message or event.message],
            trouble=event.pk,
        )
    trouble = told.get(event.connection_id, 0)
    if event.kind in HEALED and 0 < trouble < event.pk:
        return _to_user(
            connection,
            K.RECOVERED,
            f"after:{trouble}",  # once per trouble told, however many Events find it healthy
            headline="Your database is healthy again",
            paragraphs=["Our health checks pass again; nothing is needed from you."],
        )
    return None


def _versions_available() -> list[Notification]:
    """A mail per connection to which a rollout offers a version newer than its own, once
    per version: never before the rollout reaches the user (``offered_update``)."""
    told = Notification.objects.filter(
        kind=K.VERSION_AVAILABLE,
        connection=OuterRef("pk"),
        key=Concat(Value("v"), Cast(OuterRef("offered_version"), CharField())),
    )
    behind = (
        Connection.objects.usable()
        .offered_update()
        .exclude(deployments__status__in=ACTIVE_DEPLOYMENT_STATUSES)
        .exclude(Exists(told))
        .select_related("user")
    )
    owed = []
    for c in behind[:PAGE]:
        offered: int = getattr(c, "offered_version")  # noqa: B009 (an annotation mypy cannot see)
        owed.append(
            _to_user(
                c,
                K.VERSION_AVAILABLE,
                f"v{offered}",
                headline=f"Version {offered} is available for your database",
                paragraphs=[
                    _changes(c.deployed_version, offered),
                    "Update from the settings page (Update now), or wait for us to update it.",
                ],
            )
        )
    return owed


def _changes(since: int | None, to: int) -> str:
    log_of = package.user_notes()  # users read the user notes only
    start = (since or 0) + 1
    notes = [f"v{v}: {log_of[v]}" for v in range(start, to + 1) if log_of.get(v)]
    return "What changed: " + "; ".join(notes) if notes else ""


def _to_user(
    connection: Connection,
    kind: str,
    key: str,
    *,
    headline: str,
    paragraphs: list[str],
    trouble: int = 0,
) -> Notification:
    email = connection.user.email
    wanted = connection.email_notifications and bool(email)
    context: dict[str, Any] = {
        "headline": headline,
        "paragraphs": [p for p in paragraphs if p],
        "deployment": connection.deployment_name or connection.url,
        "user": connection.user.get_username(),
    }
    if trouble:
        context[TROUBLE_MARK] = trouble  # its Event: a fix is followed by "healthy again"
    return Notification(
        kind=kind,
        connection=connection,
        key=key,
        dedup_key=Notification.dedup(kind, connection.pk, key),
        recipients=[email] if wanted else [],
        status=NotificationStatus.PENDING if wanted else NotificationStatus.SKIPPED,
        context=context,
    )


def _digest(start: int, events: list[Event]) -> Notification | None:
    operators = list(conf().operator_emails)
    if not operators:
        return None
    counts = Counter(e.kind for e in events)
    lines = [
        f"{e.created_at:%H:%M:%S} {e.connection.user.get_username()} "
        f"({e.connection.deployment_name or e.connection.url}): {e.kind}: {e.message[:200]}"
        for e in events
        if e.kind != EventKind.DEPLOY_SUCCEEDED
    ]
    if not lines:
        return None  # only successful deploys: nothing operators need to read about
    key = f"events:{start + 1}-{events[-1].pk}"
    shown = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    return Notification(
        kind=K.DIGEST,
        key=key,
        dedup_key=Notification.dedup(K.DIGEST, None, key),
        recipients=list(operators),
        context={
            "headline": f"BYOD fleet: {shown}",
            "paragraphs": [f"Since the last digest: {shown}."],
            "lines": lines[:200],
            "more": max(0, len(lines) - 200),
        },
    )


def _check_after_deploys(events: list[Event]) -> None:
    ids = {e.connection_id for e in events if e.deployment is not None and not e.deployment.dry_run}
    if ids:
        Connection.objects.filter(pk__in=ids, check_claim="").update(next_check_at=timezone.now())


# --- the outbox ----------------------------------------------------------------------------


def run_outbox() -> OutboxRun:
    """Collect what is owed, then send it (what the scheduled task runs)."""
    run = collect()
    run.sent, run.failed = send_pending()
    return run


@task()
def outbox_task() -> dict[str, Any]:
    """The scheduler's outbox sweep."""
    run = run_outbox()
    return {"created": dict(run.created), "sent": run.sent, "failed": run.failed}
