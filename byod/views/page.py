"""The settings page and its polled progress partial."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseStopPolling, reswap, retarget
from django_htmx.middleware import HtmxDetails

from accounts.models import User
from byod.conf import conf
from byod.data.locations import held_in_main
from byod.forms import ConnectForm
from byod.services import site
from byod.views.access import login_required
from byod.views.history import history_length
from byod.views.state import DEPLOYING, NOT_CONNECTED, PageState, page_state

TEMPLATE = "byod/settings.html"


class HtmxHttpRequest(HttpRequest):
    """A request as these views see it: with htmx details, and (behind login_required) a user."""

    htmx: HtmxDetails
    user: User


def page_context(request: HtmxHttpRequest, **extra: Any) -> dict[str, Any]:
    state: PageState = extra.pop("page", None) or page_state(
        request.user, history_length(request.GET.get("history"))
    )
    context: dict[str, Any] = {"page": state, "form": None, "notice": "", "check": None}
    if state.state == NOT_CONNECTED:
        # After a disconnect, offer the last URL again: the data is still there.
        last_url = state.connection.url if state.connection is not None else ""
        context["form"] = ConnectForm(initial={"url": last_url} if last_url else None)
        # Content written before connecting stays in the main deployment (moves: issue 20).
        context["content_in_main"] = held_in_main(request.user)
        context["moves_on"] = conf().moves.enabled
    elif state.fix_credentials and state.connection is not None:
        # The deploy cannot succeed until the user gives us a working key or URL: ask now.
        context["form"] = ConnectForm(initial={"url": state.connection.url})
    context.update(extra)
    # Tables of another project, from a refused connect or from a check: warn either way.
    check = context["check"]
    context["warn_tables"] = context.get("foreign_tables") or (
        check.foreign_tables if check is not None else []
    )
    return context


def render_state(request: HtmxHttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    """The whole page, or for htmx only the ``#state`` panel (swapped over ``#byod-state``)."""
    context = page_context(request, **extra)
    if request.htmx:
        response = render(request, TEMPLATE + "#state", context, status=status)
        response = retarget(response, "#byod-state")
        return reswap(response, "outerHTML")
    return render(request, TEMPLATE, context, status=status)


@require_GET
@login_required
def settings_page(request: HtmxHttpRequest) -> HttpResponse:
    state = page_state(request.user, history_length(request.GET.get("history")))
    if state.connection is not None:
        site.remember(state.connection, request)  # where this user reaches us: mails link here
    return render_state(request, page=state)


@require_GET
@login_required
def history(request: HtmxHttpRequest) -> HttpResponse:
    """More of the history: the history panel with ``?history=N`` rows for htmx ("Show
    more"); without JavaScript the page itself takes ``?history=N``."""
    wanted = history_length(request.GET.get("history"))
    if not request.htmx:
        return redirect(f"{reverse('byod:settings')}?history={wanted}#history")
    state = page_state(request.user, wanted)
    return render(request, TEMPLATE + "#history", page_context(request, page=state))


@require_GET
@login_required
def progress(request: HtmxHttpRequest) -> HttpResponse:
    """Polled every second while a deploy runs. When it has ended, answers with the final
    panel and status 286 so htmx swaps it in and stops polling, without a reload."""
    if not request.htmx:
        return redirect(reverse("byod:settings"))
    state = page_state(request.user)
    if state.state == DEPLOYING:
        return render(request, TEMPLATE + "#progress", page_context(request, page=state))
    html = render_to_string(TEMPLATE + "#state", page_context(request, page=state), request)
    response = HttpResponseStopPolling(html)
    response = retarget(response, "#byod-state")
    return reswap(response, "outerHTML")
