"""A rollout's plan and rules, run in this process one claim at a time (real database, the
emulator over real HTTP): canary then waves in order, the stop rule, resume, abort, skips."""

from __future__ import annotations

from typing import Any

import pytest

from byod.models import Deployment, MemberState, Rollout
from byod.services.rollouts import control as rollouts
from byod.services.rollouts.progress import one_line, progress
from tests.rollouts.conftest import Fleet, run_to_the_end, step

pytestmark = pytest.mark.django_db


def plan(**options: Any) -> rollouts.PlanOptions:
    """Options spelled out here: no canary and no stop rule unless a test asks for them."""
    defaults: dict[str, Any] = {
        "wave_size": 3,
        "max_in_flight": 2,
        "drivers": 1,
        "canary_percent": 0,
        "stop_failure_percent": None,
        "stop_canary_failures": None,
    }
    return rollouts.PlanOptions(**{**defaults, **options})


def test_it_deploys_the_canary_then_each_wave_in_order(fleet: Fleet) -> None:
    members = fleet(7)
    rollout = rollouts.start(plan(canary_count=1))
    assert rollout.status == "running" and rollout.waves == 3
    order: list[int | None] = []
    while True:
        ran = step(rollout)
        if not ran:
            step(rollout)
            break
        order += [Deployment.objects.get(pk=pk).wave for pk in ran]
        assert len(ran) <= 2, "never more than the in-flight limit at once"
    assert order == sorted(order) == [0, 1, 1, 1, 2, 2, 2]
    rollout.refresh_from_db()
    assert rollout.status == "completed"
    for member in members:
        member.connection.refresh_from_db()
        assert member.connection.deployed_version == rollout.version
        assert member.connection.deployments.filter(status="succeeded").count() == 1
        assert member.connection.deployments.get(status="succeeded").trigger == "rollout"
    seen = progress(rollout)
    assert (seen.succeeded, seen.failed, seen.total) == (7, 0, 7)


def test_without_a_canary_the_waves_are_named_from_one(fleet: Fleet) -> None:
    fleet(5)
    seen = rollouts.preview(plan())
    assert seen.waves == [("wave 1", 3), ("wave 2", 2)], "no wave is called the canary"
    with_canary = rollouts.preview(plan(canary_count=1))
    assert with_canary.waves == [("canary", 1), ("wave 1", 3), ("wave 2", 1)]
    rollout = rollouts.start(plan())
    step(rollout)
    found = progress(rollout)
    assert [w.name for w in found.waves] == ["wave 1", "wave 2"]
    assert one_line(found).endswith("; wave 1 of 2, running")


def test_a_wave_does_not_start_before_the_one_before_it_ended(fleet: Fleet) -> None:
    fleet(4)
    rollout = rollouts.start(plan(canary_count=2, max_in_flight=10))
    first = step(rollout)
    assert [Deployment.objects.get(pk=pk).wave for pk in first] == [0, 0]
    assert rollout.current_wave == 0
    step(rollout)
    assert rollout.current_wave == 1


def test_the_stop_rule_pauses_the_rollout_and_resume_finishes_the_rest(fleet: Fleet) -> None:
    members = fleet(8)
    # Wave 1 (after a one-connection canary) is members 1..3: two of them refuse our key.
    for member in members[1:3]:
        member.deployment.set_fault("*", revoked_key=True)
    rollout = rollouts.start(plan(canary_count=1, stop_failures=2))
    run_to_the_end(rollout)
    assert rollout.status == "paused"
    assert "stop rule: 2 of 3 deploys of wave 1 failed" in rollout.paused_reason
    seen = progress(rollout)
    assert seen.failures == {"bad_credentials": 2}
    assert not Deployment.objects.filter(rollout=rollout, wave__gte=2).exists()
    assert seen.pending == 5, "the rest of wave 1 and the waves after it wait"
    failed = members[1].connection.deployments.get(rollout=rollout)
    assert failed.status == "failed" and failed.error_category == "bad_credentials"

    for member in members[1:3]:
        member.deployment.clear_faults()
    rollouts.resume(rollout)
    run_to_the_end(rollout)
    assert rollout.status == "completed"
    seen = progress(rollout)
    assert (seen.succeeded, seen.failed) == (6, 2)
    # Nobody was deployed twice by the resume.
    assert Deployment.objects.filter(rollout=rollout).count() == 8


def test_the_failure_rate_counts_a_transient_failure_only_once_its_retries_are_spent(
    fleet: Fleet, settings: Any
) -> None:
    settings.BYOD_DEPLOY_RETRY_BASE_SECONDS = 0
    settings.BYOD_DEPLOY_MAX_ATTEMPTS = 2
    members = fleet(4)
    members[0].deployment.set_fault("deploy2/start_push", status=503, times=1)
    members[1].deployment.set_fault("deploy2/start_push", status=503)
    rollout = rollouts.start(plan(wave_size=4, max_in_flight=4, stop_failure_percent=50))
    run_to_the_end(rollout)
    # One recovered on its retry; one failed for good: 1 of 4 is under 50%.
    assert rollout.status == "completed"
    seen = progress(rollout)
    assert (seen.succeeded, seen.failed) == (3, 1)
    assert seen.failures == {"server_error": 1}


def test_abort_cancels_queued_deploys_and_leaves_the_rest_on_their_version(
    fleet: Fleet, settings: Any
) -> None:
    settings.BYOD_DEPLOY_RETRY_BASE_SECONDS = 600  # a retry that waits
    members = fleet(5)
    members[0].deployment.set_fault("deploy2/start_push", status=503)
    rollout = rollouts.start(plan(canary_count=1))
    step(rollout)
    waiting = members[0].connection.deployments.get(rollout=rollout)
    assert waiting.status == "queued" and waiting.attempt == 1

    aborted = rollouts.abort(rollout, reason="bad canary")
    assert (aborted.deploys_cancelled, aborted.not_reached, aborted.running) == (1, 4, 0)
    rollout.refresh_from_db()
    assert rollout.status == "aborted"
    waiting.refresh_from_db()
    assert waiting.status == "cancelled"
    assert set(rollout.members.values_list("state", flat=True)) == {
        MemberState.STARTED,
        MemberState.CANCELLED,
    }
    assert step(rollout) == []
    for member in members[1:]:
        member.connection.refresh_from_db()
        assert member.connection.deployed_version is None
        assert not member.connection.deployments.filter(rollout=rollout).exists()


def test_a_connection_already_on_the_version_is_skipped(fleet: Fleet) -> None:
    fleet(3)
    first = rollouts.start(plan())
    run_to_the_end(first)
    assert first.status == "completed"
    seen = rollouts.preview(plan())
    assert seen.targets == 0 and not seen.can_start
    with pytest.raises(rollouts.NotAllowed, match="nothing to roll out"):
        rollouts.start(plan())


def test_a_version_without_an_artifact_cannot_start(fleet: Fleet) -> None:
    fleet(1)
    seen = rollouts.preview(plan(version=99))
    assert not seen.can_start
    assert any("v99" in problem for problem in seen.problems)
    assert not Rollout.objects.exists()
