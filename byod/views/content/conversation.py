"""One conversation: its messages (newest page first, shown oldest to newest, "Earlier
messages" pages back) and what can be done to it: write a message (role "user"; no model is
called: this page is a reference client of the data API, not a chat product), rename, pin,
archive, delete (its messages and what hangs off them go with it, in batches).

The page is one snapshot: the conversation and a page of its messages in one round trip.
A conversation that is absent, deleted or another user's is "not found", all the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url

from byod.data import NOT_FOUND, Store
from byod.data.tables.conversations import ConversationsPatch
from byod.views.access import login_required
from byod.views.content import base
from byod.views.content.conversations import FORM_ID as NEW_FORM_ID
from byod.views.content.conversations import render_list
from byod.views.content.forms import (
    ConversationForm,
    FlagForm,
    MessageForm,
    RenameForm,
    WriteForm,
)
from byod.views.content.rows import ConversationRow, MessageRow, now_ms
from byod.views.page import HtmxHttpRequest

TEMPLATE = "byod/content/conversation.html"
DELETE_TEMPLATE = "byod/content/delete.html"
PAGE_SIZE = 20
GONE = "That conversation is not there any more (it may have been deleted)."
Read = tuple[ConversationRow | None, list[MessageRow], str | None]


def read_conversation(store: Store, conv_id: str, cursor: str | None) -> Read:
    """The conversation and a page of its messages: one snapshot (one call)."""
    found = store.snapshot(
        {
            "conversation": store.conversations.get_query(conv_id),
            "messages": store.messages.page_query(
                "by_conversation_created",
                eq={"conversationId": conv_id},
                order="desc",
                limit=PAGE_SIZE,
                cursor=cursor,
            ),
        }
    )
    doc = found["conversation"]
    if doc is None:
        return None, [], None
    page = found["messages"]
    shown = [MessageRow.of(m) for m in reversed(page.items)]
    return ConversationRow.of(doc), shown, page.next_cursor


def forms_for(conv: ConversationRow, **bound: WriteForm) -> dict[str, WriteForm]:
    """The page's forms, fresh (a new operation id each) unless given bound."""
    fresh: dict[str, WriteForm] = {
        "message_form": MessageForm(form_id="write-form"),
        "rename_form": RenameForm(initial={"title": conv.title}, form_id="rename-form"),
        "pin_form": FlagForm(initial={"on": not conv.pinned}, form_id="pin-form"),
        "archive_form": FlagForm(initial={"on": not conv.archived}, form_id="archive-form"),
    }
    return {**fresh, **bound}


def render_conversation(
    request: HtmxHttpRequest, conv_id: str, *, notice: str = ""
) -> HttpResponse:
    cursor = base.cursor_of(request)
    context: dict[str, Any] = {"conv_id": conv_id, "cursor": cursor, "notice": notice}
    try:
        conv, shown, next_cursor = base.run(
            request, lambda store: read_conversation(store, conv_id, cursor)
        )
    except base.Blocked as blocked:
        if blocked.category == NOT_FOUND:
            return gone(request)
        return base.page_blocked(request, TEMPLATE, blocked, context)
    if conv is None:
        return gone(request)
    context.update(conv=conv, shown=shown, next_cursor=next_cursor, **forms_for(conv))
    return base.render_main(request, TEMPLATE, context)


def gone(request: HtmxHttpRequest) -> HttpResponse:
    """Absent, deleted, or another user's: the same answer (nothing says which)."""
    if request.method == "POST":
        if request.htmx:
            return push_url(render_list(request, notice=GONE), reverse("content:index"))
        messages.info(request, GONE)
        return redirect(reverse("content:index"))
    return render(request, "byod/content/gone.html", {"message": GONE}, status=404)


@require_GET
@login_required
def show(request: HtmxHttpRequest, conv_id: str) -> HttpResponse:
    return render_conversation(request, conv_id)


def _form_context(conv_id: str, form_id: str, action: str, label: str) -> dict[str, Any]:
    return {
        "form_id": form_id,
        "action": reverse(action, args=[conv_id]),
        "submit_label": label,
        "heading": label,
        "back_url": reverse("content:conversation", args=[conv_id]),
        "back_label": "Back to the conversation",
    }


def _write(
    request: HtmxHttpRequest,
    conv_id: str,
    form: WriteForm,
    ctx: dict[str, Any],
    work: Callable[[Store, dict[str, Any]], object],
    notice: str,
) -> HttpResponse:
    """Validate `form`, run `work(store, cleaned_data)`, and answer: the conversation again
    (htmx) or a redirect to it; the form with what was typed when something stopped it."""
    if not form.is_valid():
        return base.form_failed(request, form, None, form_context=ctx)
    data = form.cleaned_data
    try:
        base.run(request, lambda store: work(store, data))
    except base.Blocked as blocked:
        if blocked.category == NOT_FOUND:
            return gone(request)
        return base.form_failed(request, form, blocked, form_context=ctx)
    url = reverse("content:conversation", args=[conv_id])
    refreshed = render_conversation(request, conv_id, notice=notice) if request.htmx else None
    return base.written(request, notice, url, refreshed)


@require_POST
@login_required
def write(request: HtmxHttpRequest, conv_id: str) -> HttpResponse:
    """Add the user's message, then move the conversation up the list (two writes, each
    idempotent by an operation id made from the form's)."""

    def work(store: Store, data: dict[str, Any]) -> None:
        at, op = now_ms(), data["op"]
        store.messages.insert(
            {
                "conversationId": conv_id,
                "role": "user",
                "content": data["content"],
                "createdAt": at,
                "updatedAt": at,
            },
            op_id=op,
        )
        store.conversations.patch(conv_id, {"lastMessageAt": at, "updatedAt": at}, op_id=op + "c")

    form = MessageForm(request.POST, form_id="write-form")
    ctx = _form_context(conv_id, "write-form", "content:write", "Send")
    return _write(request, conv_id, form, ctx, work, "Message saved.")


def _patcher(
    fields: Callable[[dict[str, Any]], ConversationsPatch], conv_id: str
) -> Callable[[Store, dict[str, Any]], None]:
    """The work of a form that changes some fields of the conversation (and `updatedAt`)."""

    def work(store: Store, data: dict[str, Any]) -> None:
        changes = fields(data)
        changes["updatedAt"] = now_ms()
        store.conversations.patch(conv_id, changes, op_id=data["op"])

    return work


@require_POST
@login_required
def rename(request: HtmxHttpRequest, conv_id: str) -> HttpResponse:
    form = RenameForm(request.POST, form_id="rename-form")
    ctx = _form_context(conv_id, "rename-form", "content:rename", "Rename")
    work = _patcher(lambda d: {"title": d["title"]}, conv_id)
    return _write(request, conv_id, form, ctx, work, "Renamed.")


@require_POST
@login_required
def pin(request: HtmxHttpRequest, conv_id: str) -> HttpResponse:
    form = FlagForm(request.POST, form_id="pin-form")
    on = form.is_valid() and form.cleaned_data["on"]
    ctx = _form_context(conv_id, "pin-form", "content:pin", "Pin" if on else "Unpin")
    work = _patcher(lambda d: {"isPinned": d["on"]}, conv_id)
    return _write(request, conv_id, form, ctx, work, "Pinned." if on else "Unpinned.")


@require_POST
@login_required
def archive(request: HtmxHttpRequest, conv_id: str) -> HttpResponse:
    form = FlagForm(request.POST, form_id="archive-form")
    on = form.is_valid() and form.cleaned_data["on"]
    ctx = _form_context(
        conv_id, "archive-form", "content:archive", "Archive" if on else "Unarchive"
    )
    work = _patcher(lambda d: {"isArchived": d["on"]}, conv_id)
    return _write(
        request, conv_id, form, ctx, work, "Archived." if on else "Back from the archive."
    )


@require_http_methods(["GET", "POST"])
@login_required
def delete(request: HtmxHttpRequest, conv_id: str) -> HttpResponse:
    """GET: what deleting does, and a button (no read: the page costs no call). POST: remove
    the conversation with its messages and what hangs off them (the repository repeats the
    data function's batches until it is done)."""
    ctx = _form_context(conv_id, "delete-form", "content:delete", "Delete for good")
    if request.method == "GET":
        context = {**ctx, "form": WriteForm(form_id="delete-form"), "conv_id": conv_id}
        return base.render_main(request, DELETE_TEMPLATE, context)
    form = WriteForm(request.POST, form_id="delete-form")
    if not form.is_valid():
        return base.form_failed(request, form, None, form_context=ctx)
    op = form.cleaned_data["op"]
    try:
        removed = base.run(request, lambda store: store.conversations.remove(conv_id, op_id=op))
    except base.Blocked as blocked:
        if blocked.category == NOT_FOUND:
            return gone(request)
        return base.form_failed(request, form, blocked, form_context=ctx)
    others = max(removed - 1, 0)
    notice = f"Deleted the conversation and {others} document{'s' if others != 1 else ''} with it."
    refreshed = render_list(request, notice=notice) if request.htmx else None
    return base.written(request, notice, reverse("content:index"), refreshed)


@require_POST
@login_required
def create(request: HtmxHttpRequest) -> HttpResponse:
    """A new conversation, and its first message when one was typed (two writes, each with
    its own operation id made from the form's, so a double submit makes one of each)."""
    form = ConversationForm(request.POST, form_id=NEW_FORM_ID)
    form_context = {
        "form_id": NEW_FORM_ID,
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
    notice = "Conversation started."
    refreshed = render_conversation(request, new_id, notice=notice) if request.htmx else None
    return base.written(request, notice, reverse("content:conversation", args=[new_id]), refreshed)
