"""Sending what the outbox collected: each row claimed before its mail goes out, checked again
against the rows just before (`byod.services.notify_truth`: one no longer true is marked
obsolete), sent to the address the account has then, with links back (`byod.services.site`).

A row is claimed by a conditional UPDATE, so several workers never send one twice, and a send
that died half-way is not repeated. A failure (SMTP down, a bad address) is recorded on the
row, not retried.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from byod.models import Notification, NotificationKind, NotificationStatus
from byod.services import site
from byod.services.notify_truth import why_not

log = logging.getLogger(__name__)

K = NotificationKind
SEND_BATCH = 100


def send_pending(*, limit: int = 2000) -> tuple[int, int]:
    """Send pending notifications, each claimed first; returns (sent, failed)."""
    sent = failed = 0
    while sent + failed < limit:
        ids = list(
            Notification.objects.filter(status=NotificationStatus.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)[:SEND_BATCH]
        )
        if not ids:
            break
        token = uuid.uuid4().hex
        Notification.objects.filter(pk__in=ids, status=NotificationStatus.PENDING).update(
            status=NotificationStatus.SENDING, claim=token
        )
        # In the order they were made: "healthy again" is judged after the trouble it follows.
        claimed = (
            Notification.objects.filter(claim=token)
            .select_related("connection__user")
            .order_by("pk")
        )
        for row in claimed:
            reason, status = why_not(row), NotificationStatus.OBSOLETE
            if not reason:
                reason, status = _unwanted(row), NotificationStatus.SKIPPED
            if reason:
                _finish(row, status, f"not sent: {reason}")
                continue
            try:
                message(row).send()
            except Exception as error:  # SMTP down, a bad address: recorded, not retried
                log.warning("notification %s not sent: %s", row.pk, type(error).__name__)
                _finish(row, NotificationStatus.FAILED, f"{type(error).__name__}: {error}"[:500])
                failed += 1
            else:
                _finish(row, NotificationStatus.SENT)
                sent += 1
    return sent, failed


def _unwanted(row: Notification) -> str:
    """Why the user does not want this mail now ("": they do), and their address now: they
    may have opted out, or changed or removed their address, since it was collected."""
    c = row.connection
    if c is None:
        return ""
    email = c.user.email
    if not c.email_notifications or not email:
        return "the user opted out" if email else "no address on the user's account"
    if row.kind == K.UNHEALTHY and c.health_message:
        row.context["paragraphs"] = [c.health_message]  # what needs attention now
    row.recipients = [email]
    return ""


def _finish(row: Notification, status: str, error: str = "") -> None:
    sent = status == NotificationStatus.SENT
    Notification.objects.filter(pk=row.pk, claim=row.claim).update(
        status=status,
        error=error,
        sent_at=timezone.now() if sent else None,
        recipients=row.recipients,
        context=row.context,
    )


def message(row: Notification) -> EmailMultiAlternatives:
    """The mail of a notification: subject, text and HTML, with links back (none when there is
    no address to link to: `byod.services.site`)."""
    base = site.base_url(row.connection)
    if not base:
        log.warning("notification %s goes without links: set BYOD_SITE_URL", row.pk)
    page = reverse("byod:settings")
    context: dict[str, Any] = {
        **row.context,
        "kind": row.kind,
        "settings_url": base + page if base else "",
        "preferences_url": base + page + "#notifications" if base else "",
        "admin_url": base + reverse("admin:byod_connection_changelist") if base else "",
        "to_operators": row.kind == K.DIGEST,
    }
    text = render_to_string("byod/mail/notification.txt", context)
    html = render_to_string("byod/mail/notification.html", context)
    subject = str(row.context.get("headline", "BYOD")).replace("\n", " ")[:200]
    mail = EmailMultiAlternatives(subject, text, None, list(row.recipients))
    mail.attach_alternative(html, "text/html")
    return mail
