"""Numbers and texts from a deployment are checked before anything stores or shows them."""

from __future__ import annotations

from typing import Any

import pytest

from byod.client import values
from byod.errors import ConvexError


@pytest.mark.parametrize("value", [0, 1, 2**53, 12.0])
def test_a_count_is_a_whole_number_up_to_2_53(value: Any) -> None:
    assert values.count(value, "tableSize") == int(value)


@pytest.mark.parametrize("value", [10**30, 1e308, 2**53 + 2, -1, 1.5, True, "12", None])
def test_anything_else_is_not_a_count(value: Any) -> None:
    with pytest.raises(ConvexError) as caught:
        values.count(value, "tableSize")
    assert caught.value.category == "protocol_error"
    assert str(value)[:30] not in caught.value.detail  # what was wrong, never the value


def test_a_shown_text_is_cut_and_printable() -> None:
    assert values.shown_text("  name  ", "instance_name") == "name"
    assert values.shown_text("n" * 10_000, "instance_name") == "n" * 200
    for bad in ["", "   ", "bell\x07", "line\nbreak", 42]:
        with pytest.raises(ConvexError, match="instance_name"):
            values.shown_text(bad, "instance_name")


def test_a_version_record_has_our_shape() -> None:
    good = {"schemaVersion": 2.0, "packageHash": "a" * 64, "deployedAt": 1.7e12}
    assert values.version_record(good) == {
        "schemaVersion": 2,
        "packageHash": "a" * 64,
        "deployedAt": 1.7e12,
    }
    assert values.version_record(None) is None
    for bad in [
        {**good, "schemaVersion": 1e308},
        {**good, "schemaVersion": 0},
        {**good, "schemaVersion": "2"},
        {**good, "packageHash": "A" * 64},
        {**good, "packageHash": "a" * 10_000},
        {**good, "deployedAt": 10**30},
        [good],
    ]:
        with pytest.raises(ConvexError) as caught:
            values.version_record(bad)
        assert caught.value.category == "protocol_error"
