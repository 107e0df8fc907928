"""The user's notes: a page of them (newest first) with "New note", and one note's edit form.
Each page is one snapshot (one call); the edit form reads the note by id in it."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from byod.data import NOT_FOUND, Store
from byod.data.tables.notes import NotesNew, NotesPatch
from byod.views.access import login_required
from byod.views.content import base
from byod.views.content.forms import NoteForm
from byod.views.content.rows import NoteRow, now_ms
from byod.views.page import HtmxHttpRequest

TEMPLATE = "byod/content/notes.html"
EDIT_TEMPLATE = "byod/content/note.html"
PAGE_SIZE = 20
FORM_ID = "note-form"
GONE = "That note is not there any more (it may have been deleted)."


def render_notes(request: HtmxHttpRequest, *, notice: str = "") -> HttpResponse:
    cursor = base.cursor_of(request)
    context: dict[str, Any] = {
        "cursor": cursor,
        "notice": notice,
        "form": NoteForm(form_id=FORM_ID),
        "blocker": None,
    }

    def read(store: Store) -> Any:
        query = store.notes.page_query("by_user", order="desc", limit=PAGE_SIZE, cursor=cursor)
        return store.snapshot({"notes": query})["notes"]

    try:
        page = base.run(request, read)
    except base.Blocked as blocked:
        return base.page_blocked(request, TEMPLATE, blocked, context)
    context.update(rows=[NoteRow.of(d) for d in page.items], next_cursor=page.next_cursor)
    return base.render_main(request, TEMPLATE, context)


@require_GET
@login_required
def index(request: HtmxHttpRequest) -> HttpResponse:
    return render_notes(request)


def _form_context(action: str, label: str, heading: str) -> dict[str, Any]:
    return {
        "form_id": FORM_ID,
        "action": action,
        "submit_label": label,
        "heading": heading,
        "back_url": reverse("content:notes"),
        "back_label": "Back to your notes",
    }


def _gone(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "byod/content/gone.html", {"message": GONE}, status=404)


def _saved(request: HtmxHttpRequest) -> HttpResponse:
    refreshed = render_notes(request, notice="Note saved.") if request.htmx else None
    return base.written(request, "Note saved.", reverse("content:notes"), refreshed)


@require_POST
@login_required
def create(request: HtmxHttpRequest) -> HttpResponse:
    form = NoteForm(request.POST, form_id=FORM_ID)
    ctx = _form_context(reverse("content:note_create"), "Save the note", "New note")
    if not form.is_valid():
        return base.form_failed(request, form, None, form_context=ctx)
    data = form.cleaned_data
    at = now_ms()
    note: NotesNew = {
        "title": data["title"],
        "content": data["content"],
        "createdAt": at,
        "updatedAt": at,
    }
    try:
        base.run(request, lambda store: store.notes.insert(note, op_id=data["op"]))
    except base.Blocked as blocked:
        return base.form_failed(request, form, blocked, form_context=ctx)
    return _saved(request)


@require_http_methods(["GET", "POST"])
@login_required
def edit(request: HtmxHttpRequest, note_id: str) -> HttpResponse:
    """GET: the note in its form (one call). POST: save it."""
    ctx = _form_context(reverse("content:note", args=[note_id]), "Save changes", "Edit note")
    if request.method == "GET":
        context: dict[str, Any] = {**ctx, "note_id": note_id, "blocker": None}
        try:
            doc = base.run(
                request, lambda store: store.snapshot({"note": store.notes.get_query(note_id)})
            )["note"]
        except base.Blocked as blocked:
            if blocked.category == NOT_FOUND:
                return _gone(request)
            return base.page_blocked(request, EDIT_TEMPLATE, blocked, context)
        if doc is None:
            return _gone(request)
        note = NoteRow.of(doc)
        initial = {"title": note.title, "content": note.content}
        context.update(note=note, form=NoteForm(initial=initial, form_id=FORM_ID))
        return base.render_main(request, EDIT_TEMPLATE, context)
    form = NoteForm(request.POST, form_id=FORM_ID)
    if not form.is_valid():
        return base.form_failed(request, form, None, form_context=ctx)
    data = form.cleaned_data
    changes: NotesPatch = {
        "title": data["title"],
        "content": data["content"],
        "updatedAt": now_ms(),
    }
    try:
        base.run(request, lambda store: store.notes.patch(note_id, changes, op_id=data["op"]))
    except base.Blocked as blocked:
        if blocked.category == NOT_FOUND:
            return _gone(request)
        return base.form_failed(request, form, blocked, form_context=ctx)
    return _saved(request)
