"""Notes: list, create, edit; another user's note is not there for you."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.content_page.helpers import docs_of, op_of, text_of
from tests.fixtures.emulator import EmulatorDeployment


def test_it_creates_lists_and_edits_a_note(
    as_alice: Client, alice: User, main_deployment: EmulatorDeployment
) -> None:
    page = text_of(as_alice.get(reverse("content:notes")))
    assert "No notes yet" in page
    made = as_alice.post(
        reverse("content:note_create"),
        {"op": op_of(page, "note-form"), "title": "Groceries", "content": "- bread\n- olives"},
    )
    assert made.status_code == 302 and made["Location"] == reverse("content:notes")
    [note] = docs_of(main_deployment, "notes", alice)
    listed = text_of(as_alice.get(reverse("content:notes")))
    assert "Groceries" in listed and reverse("content:note", args=[note["_id"]]) in listed

    form = text_of(as_alice.get(reverse("content:note", args=[note["_id"]])))
    assert "- bread" in form
    saved = as_alice.post(
        reverse("content:note", args=[note["_id"]]),
        {"op": op_of(form, "note-form"), "title": "Groceries", "content": "- bread\n- figs"},
    )
    assert saved.status_code == 302
    [note] = docs_of(main_deployment, "notes", alice)
    assert note["content"] == "- bread\n- figs"


def test_another_users_note_is_not_found(
    as_alice: Client, as_bob: Client, alice: User, main_deployment: EmulatorDeployment
) -> None:
    page = text_of(as_alice.get(reverse("content:notes")))
    as_alice.post(
        reverse("content:note_create"),
        {"op": op_of(page, "note-form"), "title": "Diary", "content": "private"},
    )
    [note] = docs_of(main_deployment, "notes", alice)
    url = reverse("content:note", args=[note["_id"]])
    seen = as_bob.get(url)
    assert seen.status_code == 404 and "private" not in text_of(seen)
    assert "Diary" not in text_of(as_bob.get(reverse("content:notes")))
    changed = as_bob.post(url, {"op": "0" * 32, "title": "Diary", "content": "Bob wrote this"})
    assert changed.status_code == 404
    [note] = docs_of(main_deployment, "notes", alice)
    assert note["content"] == "private"
