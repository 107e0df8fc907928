"""Arguments the data functions refuse, with the code the caller reads (not a crash)."""

from __future__ import annotations

import pytest

from byod.categories import INVALID_ARGUMENT, VALUE_REFUSED
from byod.errors import ConvexError
from tests.data_functions.conftest import ALICE, Data, conversation


def test_it_refuses_an_empty_owner_or_operation_id(data: Data) -> None:
    assert data.refused("conversations", "insert", "", doc=conversation()) == INVALID_ARGUMENT
    assert data.refused("conversations", "insert", ALICE, opId="", doc=conversation()) == (
        INVALID_ARGUMENT
    )
    assert data.refused("conversations", "get", "", id="x") == INVALID_ARGUMENT
    assert data.refused("conversations", "insert", ALICE, doc=["not", "an", "object"]) == (
        INVALID_ARGUMENT
    )
    assert data.deployment.documents("conversations") == []


def test_it_refuses_a_page_too_large_and_a_search_limit_out_of_range(data: Data) -> None:
    with pytest.raises(ConvexError) as caught:
        data.query("conversations", "page", ALICE, index="by_user", eq={}, order="asc",
                   paginationOpts={"numItems": 1025, "cursor": None})  # fmt: skip
    # The data plane's category for a value Convex (or our function) would refuse.
    assert (caught.value.category, caught.value.code) == (VALUE_REFUSED, "too_large")
    for limit in (0, 101, 2.5):
        assert data.refused("conversations", "search", ALICE, index="search_title",
                            query="x", limit=limit) == INVALID_ARGUMENT  # fmt: skip
    assert data.refused("conversations", "search", ALICE, index="by_user", query="x",
                        limit=5) == INVALID_ARGUMENT  # fmt: skip


def test_it_refuses_to_unset_a_field_it_also_sets(data: Data) -> None:
    mine = data.insert("conversations", ALICE, conversation(title="a"))
    assert data.refused("conversations", "patch", ALICE, id=mine, fields={"title": "b"},
                        unset=["title"]) == INVALID_ARGUMENT  # fmt: skip
    data.mutation("conversations", "patch", ALICE, id=mine, fields={}, unset=["title"])
    assert "title" not in data.query("conversations", "get", ALICE, id=mine)
