"""v3, the first version with data functions, reaches users already on v2 through a rollout
(the ordinary machinery: plan, canary, waves), and their existing content is then served."""

from __future__ import annotations

import pytest

from byod.clients import Purpose, client_for
from byod.errors import ConvexError
from byod.package.version import CURRENT_VERSION, DATA_FUNCTIONS_SINCE
from byod.services.rollouts import control as rollouts
from tests.data_functions.conftest import ALICE, FIRST_PAGE, conversation
from tests.rollouts.conftest import FleetOn, fleet, fleet_on, run_to_the_end

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
