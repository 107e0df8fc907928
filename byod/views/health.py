"""The health panel of the settings page: its polled partial, "Check now" and the mail opt-out.

"Check now" is throttled (BYOD_THROTTLE_HEALTH_CHECKS_*), enqueues the check on the worker and
answers at once; the panel polls until the check's outcome is recorded.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from accounts import throttle
from byod.forms import NotificationsForm
from byod.models import Connection
from byod.services import health, site
from byod.views.access import login_required
from byod.views.page import HtmxHttpRequest
from byod.views.state import own_connection

PANEL = "byod/_health.html"


def _connected(request: HtmxHttpRequest) -> Connection | None:
    connection = own_connection(request.user)
    return connection if connection is not None and connection.is_usable else None


def _panel(request: HtmxHttpRequest, connection: Connection, **extra: Any) -> HttpResponse:
    # htmx also swaps the badge beside the page's heading (out of band), so both agree.
    oob = bool(request.htmx) and connection.status == "connected"
    return render(request, PANEL, {"c": connection, "oob": oob, **extra})


def _back(request: HtmxHttpRequest, notice: str, *, level: int = messages.SUCCESS) -> HttpResponse:
    messages.add_message(request, level, notice)
    return redirect(reverse("byod:settings") + "#byod-health")


@require_GET
@login_required
def panel(request: HtmxHttpRequest) -> HttpResponse:
    """The health panel, polled every 2 s while a check the user asked for is pending; once it
    is recorded, answered with status 286 so htmx swaps it in and stops polling."""
    connection = _connected(request)
    if connection is None or not request.htmx:
        return redirect(reverse("byod:settings"))
    response = _panel(request, connection)
    if connection.check_is_pending:
        return response
    return HttpResponseStopPolling(response.content)


@require_POST
@login_required
def check_now(request: HtmxHttpRequest) -> HttpResponse:
    """Queue a check of the user's deployment now (throttled)."""
    connection = _connected(request)
    if connection is None:
        return _back(request, "Connect a deployment first.", level=messages.INFO)
    decision = throttle.guard(
        request, "health", user=str(request.user.pk), address=throttle.client_address(request)
    )
    if not decision.allowed:
        if request.htmx:
            return _panel(
                request, connection, health_notice=decision.message, health_notice_level="error"
            )
        return _back(request, decision.message, level=messages.ERROR)
    health.request_check(connection)
    site.remember(connection, request)
    connection.refresh_from_db()
    if request.htmx:
        return _panel(request, connection)
    return _back(request, "Check queued: the result shows here in a few seconds (refresh).")


@require_POST
@login_required
def notifications(request: HtmxHttpRequest) -> HttpResponse:
    """Turn the user's notification mails on or off, and set the address they go to (the
    account's address: users created in the admin may have none)."""
    connection = own_connection(request.user)
    if connection is None:
        return _back(request, "Connect a deployment first.", level=messages.INFO)
    form = NotificationsForm(request.POST)
    if not form.is_valid():
        said = " ".join(str(e) for e in form.errors.get("email", []))
        return _back(request, said, level=messages.ERROR)
    user = request.user
    if "email" in request.POST and form.cleaned_data["email"] != user.email:
        user.email = form.cleaned_data["email"]
        user.save(update_fields=["email"])
    wanted = form.cleaned_data["email_notifications"]
    Connection.objects.filter(pk=connection.pk).update(email_notifications=wanted)
    site.remember(connection, request)
    if not wanted:
        return _back(request, "We will not email you.")
    if not user.email:
        return _back(request, "Add an email address to get these emails.", level=messages.INFO)
    return _back(request, f"We will email you at {user.email} about your database.")
