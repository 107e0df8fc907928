"""What the settings page posts to. Each action goes through the services only.

Without JavaScript every successful POST redirects back to the page (post/redirect/get) with a
message; with htmx the answer is the new ``#state`` panel, or the form again with its errors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST
from django_htmx.http import push_url, reswap, retarget

from accounts import throttle
from byod.errors import ByodError, ForeignTablesError
from byod.forms import ConnectForm
from byod.models import DeploymentTrigger
from byod.services import connections, releases, site
from byod.services.connections import CredentialCheck
from byod.services.deploys.run import request_deploy
from byod.views.access import login_required
from byod.views.page import TEMPLATE, HtmxHttpRequest, page_context, render_state
from byod.views.question import question
from byod.views.state import own_connection

CREDENTIALS = "byod/credentials.html"


def _done(request: HtmxHttpRequest, notice: str) -> HttpResponse:
    if request.htmx:
        return push_url(render_state(request, notice=notice), reverse("byod:settings"))
    messages.success(request, notice)
    return redirect(reverse("byod:settings"))


def _form_response(
    request: HtmxHttpRequest,
    form: ConnectForm,
    *,
    template: str = TEMPLATE,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    """The form again with its errors or check result: the form partial for htmx."""
    if template == CREDENTIALS and "switch_question" not in extra:
        connection = own_connection(request.user)
        extra.update(question(connection) if connection is not None else {})
    context = page_context(request, form=form, **extra)
    if request.htmx:
        # htmx does not swap 4xx answers by default: the errors come back as a 200 partial.
        response = render(request, template + "#connect_form", context)
        return reswap(retarget(response, "#connect-form"), "outerHTML")
    return render(request, template, context, status=status)


def _attach(form: ConnectForm, error: ByodError) -> None:
    form.add_service_error(error.field, error.user_message)


def _throttled(request: HtmxHttpRequest, form: ConnectForm, template: str) -> HttpResponse | None:
    """The form with a "wait N seconds" message when this user or address calls out too often."""
    decision = throttle.guard(
        request, "callout", user=str(request.user.pk), address=throttle.client_address(request)
    )
    if decision.allowed:
        return None
    form.add_service_error(None, decision.message)
    return _form_response(request, form, template=template, status=429)


@sensitive_post_parameters("deploy_key")
@require_POST
@login_required
def check(request: HtmxHttpRequest) -> HttpResponse:
    """Check the credentials without saving anything."""
    form = ConnectForm(request.POST)
    template = _template_for(request)
    if refused := _throttled(request, form, template):
        return refused
    if not form.is_valid():
        return _form_response(request, form, template=template, status=422)
    result: CredentialCheck = connections.check_credentials(
        form.cleaned_data["url"], form.cleaned_data["deploy_key"]
    )
    if result.error is not None:
        _attach(form, result.error)
        return _form_response(request, form, template=template, status=422, check=result)
    return _form_response(request, form, template=template, check=result)


@sensitive_post_parameters("deploy_key")
@require_POST
@login_required
def connect(request: HtmxHttpRequest) -> HttpResponse:
    """Check, save (encrypted) and start the deploy; or say why not, next to the field."""
    return _save_credentials(request, template=TEMPLATE)


@sensitive_variables("form")
def _save_credentials(request: HtmxHttpRequest, *, template: str, **extra: Any) -> HttpResponse:
    form = ConnectForm(request.POST)
    if refused := _throttled(request, form, template):
        return refused
    if not form.is_valid():
        return _form_response(request, form, template=template, status=422, **extra)
    user = request.user
    try:
        connection = connections.connect(
            user,
            form.cleaned_data["url"],
            form.cleaned_data["deploy_key"],
            actor=user,
            confirm_foreign=form.cleaned_data["confirm_foreign"],
        )
    except ForeignTablesError as exc:
        if request.POST.get("foreign_shown"):
            # The warning was on screen and the box left unticked: say why nothing happened.
            form.add_error(
                "confirm_foreign",
                "Nothing was deployed: tick this box to confirm that our schema may go into "
                "this deployment beside the other project's tables, or connect an empty "
                "deployment instead.",
            )
        return _form_response(
            request, form, template=template, status=409, foreign_tables=exc.tables, **extra
        )
    except ByodError as exc:
        _attach(form, exc)
        return _form_response(request, form, template=template, status=422, **extra)
    site.remember(connection, request)  # mails about this deploy link back here
    return _done(request, "Credentials saved. We are deploying the schema to your deployment.")


@require_POST
@login_required
def redeploy(request: HtmxHttpRequest) -> HttpResponse:
    """Deploy again (also "Update now" and "Retry"): the version offered to the user when it
    is newer than theirs, else the one they run (``releases.version_for_user``)."""
    connection = own_connection(request.user)
    if connection is None or not connection.has_key:
        return _nothing_to_do(request, "Connect a deployment first.")
    try:
        request_deploy(
            connection,
            trigger=DeploymentTrigger.USER,
            actor=request.user,
            version=releases.version_for_user(connection),
        )
    except ByodError as error:  # disconnected meanwhile, or no build of the version (ours)
        return _nothing_to_do(request, error.user_message)
    site.remember(connection, request)
    return _done(request, "Deploy started.")


def _nothing_to_do(request: HtmxHttpRequest, notice: str) -> HttpResponse:
    if request.htmx:
        return push_url(render_state(request, notice=notice), reverse("byod:settings"))
    messages.info(request, notice)
    return redirect(reverse("byod:settings"))


def _template_for(request: HtmxHttpRequest) -> str:
    """A check posted from the credentials page re-renders that page (without JavaScript)."""
    if request.POST.get("origin") == "credentials":
        return "byod/credentials.html"
    return TEMPLATE
