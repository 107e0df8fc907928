"""The content page's front: the user's conversations (pinned first, then newest first by
their last message, or the archived ones) and "New conversation".

The list is one snapshot: the pinned section and a page of recent conversations in one
`query_batch` round trip (the archived filter: one page). Paging is by the repository's opaque
cursor, carried in the URL (`?cursor=`), so "Older" works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from byod.data import Store
from byod.views.access import login_required
from byod.views.content import base
from byod.views.content.forms import ConversationForm
from byod.views.content.rows import conversations
from byod.views.page import HtmxHttpRequest

TEMPLATE = "byod/content/conversations.html"
PAGE_SIZE = 20
PINNED_SHOWN = 10
FORM_ID = "new-conversation"


def list_context(request: HtmxHttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "archived": request.GET.get("show") == "archived",
        "cursor": base.cursor_of(request),
        "form": extra.pop("form", None) or ConversationForm(form_id=FORM_ID),
        "blocker": None,
        **extra,
    }


def read_list(store: Store, context: dict[str, Any]) -> dict[str, Any]:
    """The conversations the page shows: one snapshot (one call)."""
    convs = store.conversations
    cursor = context["cursor"]
    if context["archived"]:
        queries = {
            "list": convs.page_query(
                "by_user_archived",
                eq={"isArchived": True},
                order="desc",
                limit=PAGE_SIZE,
                cursor=cursor,
            )
        }
    else:
        queries = {
            "list": convs.page_query(
                "by_user_last_message", order="desc", limit=PAGE_SIZE, cursor=cursor
            )
        }
        if cursor is None:
            queries["pinned"] = convs.page_query(
                "by_user_pinned", eq={"isPinned": True}, order="desc", limit=PINNED_SHOWN
            )
    pages = store.snapshot(queries)
    listed = pages["list"]
    rows = conversations(listed.items)
    pinned = (
        [r for r in conversations(pages["pinned"].items) if not r.archived]
        if ("pinned" in pages)
        else []
    )
    if not context["archived"]:
        # Pinned ones are above; archived ones behind the filter.
        rows = [r for r in rows if not r.archived and not r.pinned]
    return {
        **context,
        "rows": rows,
        "pinned": pinned,
        "next_cursor": listed.next_cursor,
        "page_hid_some": len(rows) < len(listed.items),
    }


def render_list(request: HtmxHttpRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = list_context(request, **extra)
    try:
        context = base.run(request, lambda store: read_list(store, context))
    except base.Blocked as blocked:
        return base.page_blocked(request, TEMPLATE, blocked, context)
    return base.render_main(request, TEMPLATE, context, status=status)


@require_GET
@login_required
def index(request: HtmxHttpRequest) -> HttpResponse:
    return render_list(request)
