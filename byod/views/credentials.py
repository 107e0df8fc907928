"""Update credentials: replace the URL and/or deploy key of the user's connection. When the URL
points at another deployment while the user's content lives in the current one, the form asks
what happens to it (`byod.services.moves.switch`): move it there, or start empty there."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods
from django_htmx.http import push_url, reswap, retarget

from byod.errors import ByodError, ForeignTablesError, InputError
from byod.forms import ConnectForm
from byod.inputs import parse_url
from byod.models import Connection, ConnectionStatus
from byod.services import site
from byod.services.moves import switch
from byod.views.access import login_required
from byod.views.actions import (
    _attach,
    _done,
    _form_response,
    _nothing_to_do,
    _save_credentials,
    _throttled,
)
from byod.views.page import HtmxHttpRequest, page_context
from byod.views.question import question
from byod.views.state import own_connection

TEMPLATE = "byod/credentials.html"
CHOICES = ("move", "empty")


@sensitive_post_parameters("deploy_key")
@require_http_methods(["GET", "POST"])
@login_required
def credentials(request: HtmxHttpRequest) -> HttpResponse:
    connection = own_connection(request.user)
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        return _nothing_to_do(request, "Connect a deployment first.")
    asked = question(connection)
    if request.method == "POST":
        if asked and _elsewhere(request.POST.get("url", ""), connection):
            return _switch(request, connection, asked)
        return _save_credentials(request, template=TEMPLATE, **asked)
    form = ConnectForm(initial={"url": connection.url})
    context = page_context(request, form=form, **asked)
    if request.htmx:
        response = render(request, TEMPLATE + "#panel", context)
        return push_url(reswap(retarget(response, "#byod-state"), "outerHTML"), request.path)
    return render(request, TEMPLATE, context)


def _elsewhere(url: str, connection: Connection) -> bool:
    try:
        return parse_url(url).url != connection.url
    except InputError:
        return False  # the save says what is wrong with it


@sensitive_variables("form")
def _switch(
    request: HtmxHttpRequest, connection: Connection, asked: dict[str, Any]
) -> HttpResponse:
    choice = request.POST.get("content_choice", "")
    if choice == "empty":
        return _save_credentials(request, template=TEMPLATE, **asked)
    form = ConnectForm(request.POST)
    if refused := _throttled(request, form, TEMPLATE):
        return refused
    if not form.is_valid():
        return _form_response(request, form, template=TEMPLATE, status=422, **asked)
    if choice not in CHOICES or (choice == "move" and not asked["move_offered"]):
        form.add_error(
            None,
            "Nothing was saved: your content lives in your current deployment. Choose whether "
            "to move it to the new one or to start empty there.",
        )
        return _form_response(request, form, template=TEMPLATE, status=422, **asked)
    try:
        switch.move_to(
            connection,
            form.cleaned_data["url"],
            form.cleaned_data["deploy_key"],
            actor=request.user,
            confirm_foreign=form.cleaned_data["confirm_foreign"],
        )
    except ForeignTablesError as exc:
        return _form_response(
            request, form, template=TEMPLATE, status=409, foreign_tables=exc.tables, **asked
        )
    except ByodError as exc:
        _attach(form, exc)
        return _form_response(request, form, template=TEMPLATE, status=422, **asked)
    site.remember(connection, request)
    return _done(
        request,
        "New credentials checked. We are moving your content: first to the main deployment, "
        "then into the new one once our schema is deployed there. Your current deployment "
        "stays connected until the first step is done.",
    )
