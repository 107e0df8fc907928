"""The content page's front: the user's conversations (pinned first, then newest first by
their last message, or the archived ones) and "New conversation".

The list is one snapshot: the pinned section and a page of recent conversations in one
`query_batch` round trip (the archived filter: one page). Paging is by the repository's opaque
cursor, carried in the URL (`?cursor=`), so "Older" works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from byod.data import Store
from byod.views.access import login_required
from byod.views.content import base
from byod.views.content.forms import ConversationForm
from byod.views.content.rows import conversations, now_ms
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


@require_POST
@login_required
def create(request: HtmxHttpRequest) -> HttpResponse:
    """A new conversation, and its first message when one was typed (two writes, each with
    its own operation id made from the form's, so a double submit makes one of each)."""
    form = ConversationForm(request.POST, form_id=FORM_ID)
    form_context = {
        "form_id": FORM_ID,
        "action": reverse("content:create"),
        "submit_label": "Start the conversation",
        "heading": "New conversation",
        "back_url": reverse("content:index"),
        "back_label": "Back to your conversations",
    }
    if not form.is_valid():
        return base.form_failed(request, form, None, form_context=form_context)
    op, title, content = (form.cleaned_data[k] for k in ("op", "title", "content"))

    def work(store: Store) -> str:
        at = now_ms()
        new_id = store.conversations.insert(
            {
                "title": title,
                "isArchived": False,
                "isPinned": False,
                "lastMessageAt": at,
                "createdAt": at,
                "updatedAt": at,
            },
            op_id=op,
        )
        if content:
            store.messages.insert(
                {
                    "conversationId": new_id,
                    "role": "user",
                    "content": content,
                    "createdAt": at,
                    "updatedAt": at,
                },
                op_id=op + "m",
            )
        return new_id

    try:
        new_id = base.run(request, work)
    except base.Blocked as blocked:
        return base.form_failed(request, form, blocked, form_context=form_context)
    return base.written(
        request, "Conversation started.", reverse("content:conversation", args=[new_id])
    )
