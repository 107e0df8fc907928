"""What every view of the content page shares: opening the user's store, turning a data error
into a blocker panel, and answering a full page (no JavaScript) or a partial (htmx).

Reads: each page makes **one** call for everything it shows (`Store.snapshot`, one
`query_batch` round trip). Writes: POST with CSRF, the form's operation id sent with the
mutation; on success a redirect (no JavaScript) or the page's `#content-main` partial (htmx);
on failure the form again, bound to what was typed, with the blocker panel or the field error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect, push_url, reswap, retarget

from byod.data import INVALID_ARGUMENT, VALUE_REFUSED, DataError, Store, store_for
from byod.views.content.blockers import MOVING, Blocker, blocker_for
from byod.views.content.forms import WriteForm
from byod.views.move_state import move_for
from byod.views.page import HtmxHttpRequest

FORM_PAGE = "byod/content/form_page.html"
CURSOR_MAX = 4096  # our cursors are a few hundred characters
# What the user typed that Convex would refuse, or that a function refused as invalid: said at
# the form, not as a blocker (nothing is wrong with the deployment).
FORM_CATEGORIES = frozenset({VALUE_REFUSED, INVALID_ARGUMENT})


def open_store(request: HtmxHttpRequest) -> Store:
    """The user's store for this request (its location resolved once, the web's short call
    budget); raises DataError. Use it as a context manager: the key is forgotten at its end."""
    return store_for(request.user)


class Blocked(Exception):
    """A data operation of this request failed: the error, and the store when it was opened
    (the blocker panel says where the content is)."""

    def __init__(self, error: DataError, store: Store | None) -> None:
        super().__init__(error.category)
        self.error = error
        self.store = store

    @property
    def category(self) -> str:
        return self.error.category


def run[T](request: HtmxHttpRequest, work: Callable[[Store], T]) -> T:
    """`work(store)` with the user's store, closed afterwards; a DataError becomes Blocked."""
    store: Store | None = None
    try:
        store = open_store(request)
        with store:
            return work(store)
    except DataError as error:
        raise Blocked(error, store) from error


def cursor_of(request: HtmxHttpRequest) -> str | None:
    """The page's cursor from the URL (opaque; an absurdly long one is ignored)."""
    cursor = request.GET.get("cursor") or None
    return cursor if cursor is not None and len(cursor) <= CURSOR_MAX else None


def refused_cursor(request: HtmxHttpRequest, blocked: Blocked) -> HttpResponse | None:
    """A cursor the store refused (made for another location, or altered): the first page
    instead, by a redirect that drops it. None when the error is something else."""
    if blocked.error.field != "cursor" or "cursor" not in request.GET:
        return None
    kept = request.GET.copy()
    del kept["cursor"]
    url = request.path + (f"?{kept.urlencode()}" if kept else "")
    messages.info(request, blocked.error.user_message)
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def blocker(error: DataError, store: Store | None) -> Blocker:
    """The panel for `error`, knowing where the content is when the store was opened."""
    location = store.location if store is not None else None
    if location is None:
        return blocker_for(error)
    name = location.connection.deployment_name if location.connection is not None else ""
    progress = ""
    if error.category == MOVING and store is not None:
        move = move_for(store.user.pk)
        progress = move.headline if move is not None and move.running else ""
    return blocker_for(error, where=str(location.kind), deployment_name=name, progress=progress)


def render_main(
    request: HtmxHttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """The whole page, or for htmx only its ``#main`` partial over ``#content-main``. htmx does
    not swap error statuses, so its partial is always a 200."""
    if request.htmx:
        response = render(request, template + "#main", context)
        return reswap(retarget(response, "#content-main"), "outerHTML")
    return render(request, template, context, status=status)


def page_blocked(
    request: HtmxHttpRequest, template: str, blocked: Blocked, context: dict[str, Any]
) -> HttpResponse:
    """The page with the blocker panel instead of its content (or the first page, for a
    cursor that was refused); the status says why."""
    if refused := refused_cursor(request, blocked):
        return refused
    panel = blocker(blocked.error, blocked.store)
    context = {**context, "blocker": panel, "retry_url": request.get_full_path()}
    return render_main(request, template, context, status=panel.status)


def form_failed(
    request: HtmxHttpRequest,
    form: WriteForm,
    blocked: Blocked | None,
    *,
    form_context: dict[str, Any],
) -> HttpResponse:
    """The form again, keeping what was typed and its operation id (a retry is the same
    write). A value refused is said at its field; anything else is the blocker panel.

    `form_context`: what the form include needs (`form_id`, `action`, `submit_label`, `heading`,
    `back_url`, `back_label`)."""
    panel = None
    status = 422
    if blocked is not None:
        error = blocked.error
        if error.category in FORM_CATEGORIES:
            form.add_service_error(error.field, error.user_message)
        else:
            panel = blocker(error, blocked.store)
            status = panel.status
    context = {**form_context, "form": form, "form_blocker": panel}
    if request.htmx:
        response = render(request, "byod/content/_form.html", context)
        return reswap(retarget(response, "#" + form_context["form_id"]), "outerHTML")
    return render(request, FORM_PAGE, context, status=status)


def written(
    request: HtmxHttpRequest, notice: str, url: str, refreshed: HttpResponse | None = None
) -> HttpResponse:
    """After a write: a redirect with the notice (no JavaScript), or for htmx the page's
    partial made by the caller (`refreshed`), with the page's URL pushed."""
    if request.htmx and refreshed is not None:
        return push_url(refreshed, url)
    messages.success(request, notice)
    return redirect(url)
