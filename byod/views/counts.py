"""The document counts of the "What is in your deployment" panel: "Count documents" and the
partial it polls.

"Count documents" is throttled (BYOD_THROTTLE_COUNTS_*: each count costs the user's deployment
a call per table), enqueues the count on the worker (never counted in a request) and answers at
once; a count already under way is the answer to a second click. The partial polls every 2 s
until the worker has stored the counts (or why it could not).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from accounts import throttle
from byod.models import Connection
from byod.services import contents as counting
from byod.views.access import login_required
from byod.views.contents import counts_of, tables_of
from byod.views.page import HtmxHttpRequest
from byod.views.state import own_connection

PARTIAL = "byod/_contents.html#counts"
ALREADY_COUNTING = "A count is already under way: the numbers show here when it is done."


def _countable(request: HtmxHttpRequest) -> Connection | None:
    """The user's connection if it has tables of ours to count, else None."""
    connection = own_connection(request.user)
    if connection is None or not connection.is_usable or not tables_of(connection.deployed_version):
        return None
    return connection


def _partial(request: HtmxHttpRequest, connection: Connection, **extra: Any) -> HttpResponse:
    return render(request, PARTIAL, {"counts": counts_of(connection), **extra})


def _back(request: HtmxHttpRequest, notice: str, *, level: int = messages.SUCCESS) -> HttpResponse:
    messages.add_message(request, level, notice)
    return redirect(reverse("byod:settings") + "#contents")


@require_GET
@login_required
def panel(request: HtmxHttpRequest) -> HttpResponse:
    """The counts, polled while a count is under way; once it has ended, answered with status
    286 so htmx swaps them in (the table list open) and stops polling."""
    connection = _countable(request)
    back = reverse("byod:settings") + "#contents"
    if not request.htmx:
        return redirect(back)
    if connection is None:
        # Disconnected meanwhile: reload the page rather than swap it into the panel.
        return HttpResponseClientRedirect(back)
    if connection.count_is_pending:
        return _partial(request, connection)
    return HttpResponseStopPolling(_partial(request, connection, open_tables=True).content)


@require_POST
@login_required
def count_now(request: HtmxHttpRequest) -> HttpResponse:
    """Queue a count of the documents in our tables (one at a time per connection; throttled)."""
    connection = _countable(request)
    if connection is None:
        return _back(request, "There is nothing of ours to count yet.", level=messages.INFO)
    decision = throttle.guard(
        request, "count", user=str(request.user.pk), address=throttle.client_address(request)
    )
    if not decision.allowed:
        if request.htmx:
            return _partial(
                request, connection, counts_notice=decision.message, counts_notice_level="error"
            )
        return _back(request, decision.message, level=messages.ERROR)
    queued = counting.request_count(connection)
    connection.refresh_from_db()
    if request.htmx:
        return _partial(request, connection, counts_notice="" if queued else ALREADY_COUNTING)
    if not queued:
        return _back(request, ALREADY_COUNTING, level=messages.INFO)
    return _back(request, "Counting: the numbers show here in a few seconds (refresh).")
