"""What users see of a rollout: an aborted one leaves them on their version with a plain note;
a deploy of the rollout that failed keeps the failure's own message."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils.html import escape

from byod.services.rollouts import control as rollouts
from tests.fixtures.people import client_for
from tests.rollouts.conftest import Fleet, step

pytestmark = pytest.mark.django_db


def plan(**options: Any) -> rollouts.PlanOptions:
    defaults: dict[str, Any] = {"wave_size": 1, "max_in_flight": 1, "drivers": 1}
    no_rules = {"canary_percent": 0, "stop_failure_percent": None, "stop_canary_failures": None}
    return rollouts.PlanOptions(**{**defaults, **no_rules, **options})


def test_a_user_not_reached_by_an_aborted_rollout_reads_a_plain_note(fleet: Fleet) -> None:
    reached, not_reached = fleet(2)
    rollout = rollouts.start(plan())
    step(rollout)
    rollouts.abort(rollout)
    page = client_for(not_reached.connection.user).get("/database/").content.decode()
    assert (
        f"The update to version {rollout.version} was stopped before it reached your database. "
        "Nothing was changed in your database." in page
    )
    reached_page = client_for(reached.connection.user).get("/database/").content.decode()
    assert "was stopped before it reached" not in reached_page


def test_a_failed_rollout_deploy_keeps_its_own_message(fleet: Fleet) -> None:
    (member,) = fleet(1)
    member.deployment.set_fault("*", revoked_key=True)
    rollout = rollouts.start(plan())
    step(rollout)
    rollouts.abort(rollout)
    page = client_for(member.connection.user).get("/database/").content.decode()
    assert "was stopped before it reached" not in page
    member.connection.refresh_from_db()
    assert member.connection.last_error_category == "bad_credentials"
    assert escape(member.connection.last_error_message) in page
