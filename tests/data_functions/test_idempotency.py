"""Every mutation runs once per operation id: a retry after a lost answer writes nothing twice."""

from __future__ import annotations

import time

from byod.categories import INVALID_ARGUMENT
from tests.data_functions.conftest import ALICE, BOB, Data, conversation

DAY_MS = 24 * 60 * 60 * 1000


def test_the_same_insert_twice_makes_one_document_and_one_answer(data: Data) -> None:
    first = data.mutation("conversations", "insert", ALICE, opId="op-1", doc=conversation())
    again = data.mutation("conversations", "insert", ALICE, opId="op-1", doc=conversation())
    assert again == first
    assert len(data.deployment.documents("conversations")) == 1
    other = data.mutation("conversations", "insert", ALICE, opId="op-2", doc=conversation())
    assert other != first
    assert len(data.deployment.documents("conversations")) == 2


def test_a_repeated_patch_or_remove_returns_the_first_result(data: Data) -> None:
    mine = data.insert("conversations", ALICE, conversation(title="One"))
    data.mutation("conversations", "patch", ALICE, opId="p", id=mine, fields={"title": "Two"})
    data.mutation("conversations", "patch", ALICE, opId="q", id=mine, fields={"title": "Three"})
    # A retry of the first patch (its answer was lost) must not undo the second.
    data.mutation("conversations", "patch", ALICE, opId="p", id=mine, fields={"title": "Two"})
    assert data.query("conversations", "get", ALICE, id=mine)["title"] == "Three"
    done = data.mutation("conversations", "remove", ALICE, opId="r", id=mine)
    assert done == {"done": True, "removed": 1}
    assert data.mutation("conversations", "remove", ALICE, opId="r", id=mine) == done


def test_an_operation_id_of_another_owner_is_refused(data: Data) -> None:
    data.mutation("conversations", "insert", ALICE, opId="shared", doc=conversation())
    assert data.refused("conversations", "insert", BOB, opId="shared", doc=conversation()) == (
        INVALID_ARGUMENT
    )
    assert [d["userId"] for d in data.deployment.documents("conversations")] == [ALICE]


def test_a_failed_call_records_nothing_so_its_retry_runs(data: Data) -> None:
    assert data.refused("conversations", "patch", ALICE, opId="late", id="x", fields={}) == (
        "not_found"
    )
    assert data.deployment.documents("byodOperations") == []
    data.mutation("conversations", "insert", ALICE, opId="late", doc=conversation())
    assert len(data.deployment.documents("conversations")) == 1


def test_operation_records_expire_after_a_day_and_are_purged(data: Data) -> None:
    now_ms = time.time() * 1000
    expired = [
        {"opId": f"old-{n}", "owner": ALICE, "result": {"id": "x"}, "expiresAt": now_ms - 1000}
        for n in range(20)
    ]
    data.deployment.insert_many("byodOperations", expired)
    data.mutation("conversations", "insert", ALICE, opId="new", doc=conversation())
    records = data.deployment.documents("byodOperations")
    # Each mutation purges up to 16 expired records: 20 - 16 are left, plus its own.
    assert sorted(r["opId"] for r in records if r["opId"].startswith("old-")).__len__() == 4
    own = next(r for r in records if r["opId"] == "new")
    assert own["owner"] == ALICE
    assert now_ms + DAY_MS - 60_000 < own["expiresAt"] < now_ms + DAY_MS + 60_000
    data.mutation("conversations", "insert", ALICE, doc=conversation())
    left = [r for r in data.deployment.documents("byodOperations") if r["opId"].startswith("old")]
    assert left == []
