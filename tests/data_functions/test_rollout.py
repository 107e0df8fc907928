"""v3, the first version with data functions, reaches users already on v2 through a rollout
(the ordinary machinery: plan, canary, waves), and their existing content is then served; in
the middle of a later rollout, a user still on the older version reads and writes as well."""

from __future__ import annotations

import pytest

from byod.clients import Purpose, client_for
from byod.data import store_for
from byod.errors import ConvexError
from byod.package.version import CURRENT_VERSION, DATA_FUNCTIONS_SINCE
from byod.services.rollouts import control as rollouts
from tests.data_functions.conftest import ALICE, FIRST_PAGE, conversation
from tests.rollouts.conftest import FleetOn, fleet, fleet_on, run_to_the_end, step

__all__ = ["fleet", "fleet_on"]  # the rollout tests' fixtures, used here too

pytestmark = pytest.mark.django_db


def test_users_on_v2_get_the_data_functions_by_rollout_and_keep_their_content(
    fleet_on: FleetOn,
) -> None:
    members = fleet_on(3, DATA_FUNCTIONS_SINCE - 1)
    for member in members:
        member.deployment.insert("conversations", {**conversation(title="kept"), "userId": ALICE})
        assert member.connection.deployed_version < DATA_FUNCTIONS_SINCE
        with client_for(member.connection, purpose=Purpose.DATA_WORKER) as client:
            with pytest.raises(ConvexError):
                client.query("data/conversations:get", {"owner": ALICE, "id": "x"})

    rollout = rollouts.start(
        rollouts.PlanOptions(
            wave_size=2,
            max_in_flight=2,
            drivers=1,
            canary_count=1,
            canary_percent=0,
            stop_failure_percent=None,
            stop_canary_failures=1,
        )
    )
    assert rollout.version == CURRENT_VERSION
    run_to_the_end(rollout)
    rollout.refresh_from_db()
    assert rollout.status == "completed"

    for member in members:
        member.connection.refresh_from_db()
        assert member.connection.deployed_version == CURRENT_VERSION >= DATA_FUNCTIONS_SINCE
        with client_for(member.connection, purpose=Purpose.DATA_WORKER) as client:
            page = client.query(
                "data/conversations:page",
                {"owner": ALICE, "index": "by_user", "eq": {}, "order": "asc",
                 "paginationOpts": FIRST_PAGE},
            )  # fmt: skip
        assert [d["title"] for d in page["page"]] == ["kept"]


def test_mid_rollout_a_user_on_the_older_data_version_still_reads_and_writes(
    fleet_on: FleetOn,
) -> None:
    # Two versions with data functions exist: one user gets the newer by the canary, the other
    # waits for their wave on the older, and both read and write through the same typed API.
    older = CURRENT_VERSION - 1
    assert older >= DATA_FUNCTIONS_SINCE
    members = fleet_on(2, older)
    rollout = rollouts.start(
        rollouts.PlanOptions(
            wave_size=1,
            max_in_flight=1,
            drivers=1,
            canary_count=1,
            canary_percent=0,
            stop_failure_percent=None,
            stop_canary_failures=1,
        )
    )
    assert len(step(rollout, want=1)) == 1  # the canary only
    for member in members:
        member.connection.refresh_from_db()
    rollout.refresh_from_db()
    assert rollout.status == "running"
    assert sorted(m.connection.deployed_version or 0 for m in members) == [older, CURRENT_VERSION]

    for member in members:
        store = store_for(member.connection.user)
        note = store.notes.insert(
            {"title": "mid-rollout", "content": "x", "createdAt": 1.0, "updatedAt": 1.0}
        )
        store.notes.patch(note, {"title": "renamed"})
        assert (store.notes.get(note) or {}).get("title") == "renamed"
        titles = [n["title"] for n in store.notes.page("by_user", limit=10).items]
        assert titles == ["renamed"], member.connection.deployed_version
