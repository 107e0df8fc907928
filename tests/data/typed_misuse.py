"""Mistakes mypy must catch in code using the data plane (test_types.py counts them).

Not a test module: mypy reads it, nothing runs it. Each line marked MISUSE is one error.
"""

from __future__ import annotations

from byod.data import Store


def mistakes(store: Store) -> None:
    store.conversations.insert({"title": 3})  # MISUSE: a title is text (and fields are missing)
    store.conversations.patch("id", {"colour": "red"})  # MISUSE: no such field
    doc = store.notes.get("id")
    print(doc["title"])  # MISUSE: get may return None
    store.conversation.get("id")  # MISUSE: no such table
