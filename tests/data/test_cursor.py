"""Page cursors: opaque, URL-safe, and refused on another location or another query."""

from __future__ import annotations

import re

import pytest

from byod.data import cursor as cursors
from byod.data.errors import DataError
from byod.errors import INVALID_INPUT

HERE = cursors.Scope(
    cursors.location_tag(1, "https://a.convex.cloud", "u1"), "notes", "by_user", "desc", {}, None
)


def test_a_cursor_round_trips_and_is_url_safe() -> None:
    made = cursors.wrap("convex-cursor-ABC", HERE)
    assert re.fullmatch(r"[A-Za-z0-9_\-:.]+", made)
    assert "convex-cursor" not in made
    assert cursors.unwrap(made, HERE) == "convex-cursor-ABC"


@pytest.mark.parametrize(
    "elsewhere",
    [
        cursors.Scope(
            cursors.location_tag(2, "https://a.convex.cloud", "u1"),
            "notes",
            "by_user",
            "desc",
            {},
            None,
        ),
        cursors.Scope(
            cursors.location_tag(1, "https://b.convex.cloud", "u1"),
            "notes",
            "by_user",
            "desc",
            {},
            None,
        ),
        cursors.Scope(
            cursors.location_tag(1, "https://a.convex.cloud", "u2"),
            "notes",
            "by_user",
            "desc",
            {},
            None,
        ),
        cursors.Scope(HERE.location, "notes", "by_user", "asc", {}, None),
        cursors.Scope(HERE.location, "notes", "by_user_pinned", "desc", {"isPinned": True}, None),
        cursors.Scope(HERE.location, "tasks", "by_user", "desc", {}, None),
    ],
)
def test_a_cursor_is_refused_on_another_location_or_query(elsewhere: cursors.Scope) -> None:
    made = cursors.wrap("c", HERE)
    with pytest.raises(DataError) as caught:
        cursors.unwrap(made, elsewhere)
    assert caught.value.category == INVALID_INPUT


def test_a_forged_or_altered_cursor_is_refused() -> None:
    made = cursors.wrap("c", HERE)
    for bad in [made[:-2] + "xx", "abc", "", "x" * 5000]:
        with pytest.raises(DataError, match="cursor refused"):
            cursors.unwrap(bad, HERE)
