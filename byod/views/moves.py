"""The settings page's moves: the polled move progress, "Give up", and disconnecting with a
choice about the content (keep, bring back, delete; `byod.services.moves.leaving`)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling, push_url, reswap, retarget

from byod.errors import ByodError
from byod.models import ConnectionStatus
from byod.services.moves import leaving
from byod.views.access import login_required
from byod.views.actions import _done, _nothing_to_do
from byod.views.page import TEMPLATE, HtmxHttpRequest, page_context
from byod.views.state import own_connection, page_state

DISCONNECT_TEMPLATE = "byod/disconnect.html"

SAID = {
    leaving.Choice.KEEP: "Disconnected. We erased your deploy key; your data stays in your "
    "deployment.",
    leaving.Choice.BACK: "Bringing your content back to the main deployment. Your deploy key "
    "is erased once it is there and checked.",
    leaving.Choice.DELETE: "Deleting our documents in your deployment. Your deploy key is "
    "erased once none is left.",
}


@require_GET
@login_required
def move_progress(request: HtmxHttpRequest) -> HttpResponse:
    """Polled every second while a move runs; once it ended, the whole panel (the result, and
    a state a disconnect may have changed) with status 286: htmx swaps it and stops polling."""
    if not request.htmx:
        return redirect(reverse("byod:settings"))
    state = page_state(request.user)
    context = page_context(request, page=state)
    if state.move is not None and state.move.running:
        return render(request, "byod/_move.html", context)
    html = render_to_string(TEMPLATE + "#state", context, request)
    return reswap(retarget(HttpResponseStopPolling(html), "#byod-state"), "outerHTML")


@require_POST
@login_required
def give_up(request: HtmxHttpRequest) -> HttpResponse:
    """Give up the move under way: its content stays where it was. A disconnect's move: the
    key is erased now (keep)."""
    connection = own_connection(request.user)
    state = page_state(request.user)
    if state.move is None or not state.move.running:
        return _nothing_to_do(request, "There is no move under way.")
    if state.move.disconnecting and connection is not None:
        leaving.give_up(connection, actor=request.user)
        return _done(request, "Given up. We erased your deploy key; your content stays put.")
    leaving.cancel(request.user, actor=request.user)
    return _done(request, "Given up. Your content stays where it was.")


@require_http_methods(["GET", "POST"])
@login_required
def disconnect(request: HtmxHttpRequest) -> HttpResponse:
    """GET: the choices (keep, bring back, delete), said plainly. POST: do the chosen one."""
    connection = own_connection(request.user)
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        return _nothing_to_do(request, "There is no connection to disconnect.")
    options = leaving.options(connection)
    error, choice = "", request.POST.get("choice", leaving.Choice.KEEP)
    if request.method == "POST":
        if choice not in leaving.Choice:
            error = "Choose what happens to your content."
        else:
            try:
                leaving.leave(
                    connection,
                    choice,
                    actor=request.user,
                    typed_name=request.POST.get("typed_name", ""),
                )
            except ByodError as exc:
                error = exc.user_message
            else:
                return _done(request, SAID[leaving.Choice(choice)])
    context = page_context(request, options=options, error=error, choice=choice)
    status = 422 if error else 200
    if request.htmx:
        response = render(request, DISCONNECT_TEMPLATE + "#panel", context)  # 200: htmx swaps
        return push_url(reswap(retarget(response, "#byod-state"), "outerHTML"), request.path)
    return render(request, DISCONNECT_TEMPLATE, context, status=status)
