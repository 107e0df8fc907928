"""The content page's forms. Each carries the operation id of the write it will make (`op`, a
hidden field): made when the form is rendered, posted back with it, and sent as the mutation's
operation id, so a double submit (or a retry after a lost answer) writes once.

A form that failed is rendered again bound to what was posted: the typed text and the same
operation id stay, so "Retry" repeats the same write rather than making a second one.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms

OP_PATTERN = re.compile(r"^[0-9a-f]{32}$")
TITLE_MAX = 200
MESSAGE_MAX = 20_000
NOTE_MAX = 100_000


def new_op() -> str:
    """A fresh operation id: one per rendered form (one logical write)."""
    return uuid.uuid4().hex


class WriteForm(forms.Form):
    """The base of every content form: the hidden operation id, made fresh when unbound.

    `form_id` is the form element's id; its fields' ids start with it, so several forms on a
    page never share an element id."""

    op = forms.CharField(widget=forms.HiddenInput, max_length=32)

    def __init__(self, *args: Any, form_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{form_id}-%s")
        super().__init__(*args, **kwargs)
        self.form_id = form_id
        if not self.is_bound:
            self.initial.setdefault("op", new_op())

    def clean_op(self) -> str:
        op = str(self.cleaned_data["op"])
        if not OP_PATTERN.match(op):
            raise forms.ValidationError("This form is out of date: reload the page.")
        return op

    def add_service_error(self, field: str | None, message: str) -> None:
        """An error from the data API; a field this form does not have becomes form-wide."""
        self.add_error(field if field in self.fields else None, message)


class ConversationForm(WriteForm):
    """A new conversation: a title, and optionally its first message."""

    title = forms.CharField(label="Title", max_length=TITLE_MAX)
    content = forms.CharField(
        label="First message (optional)",
        max_length=MESSAGE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MessageForm(WriteForm):
    content = forms.CharField(
        label="Your message", max_length=MESSAGE_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )


class RenameForm(WriteForm):
    title = forms.CharField(label="Title", max_length=TITLE_MAX)


class FlagForm(WriteForm):
    """Pin or archive (``on`` = 1), or undo it (``on`` = 0)."""

    on = forms.BooleanField(required=False, widget=forms.HiddenInput)


class NoteForm(WriteForm):
    title = forms.CharField(label="Title", max_length=TITLE_MAX)
    content = forms.CharField(
        label="Note (Markdown)",
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
