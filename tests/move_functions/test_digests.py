"""Digests: independent of order and of ids, changed by any missing, doubled or edited
document."""

from __future__ import annotations

from byod.services.moves.digests import Accumulator, Digest


def digest(*pages: list[dict[str, object]]) -> Digest:
    found = Accumulator()
    for page in pages:
        found.add(page)
    return found.digest()


A = {"_id": "1", "_creationTime": 1.0, "title": "a", "n": 1}
B = {"_id": "2", "_creationTime": 2.0, "title": "b", "meta": {"y": 1, "x": [1, 2]}}


def test_it_ignores_order_pages_and_system_fields() -> None:
    moved_a = {**A, "_id": "9", "_creationTime": 7.5}
    moved_b = {"meta": {"x": [1, 2], "y": 1}, "title": "b", "_id": "8", "_creationTime": 3.0}
    assert digest([A, B]) == digest([moved_b], [moved_a])
    assert digest([A, B]).count == 2 and len(digest([A]).sha256) == 64


def test_it_sees_a_missing_doubled_or_changed_document() -> None:
    both = digest([A, B])
    assert digest([A]) != both
    assert digest([A, B, B]) != both
    assert digest([A, {**B, "title": "c"}]) != both
    assert digest([]) == Digest(0, "0" * 64)
