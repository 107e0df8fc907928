"""byod_rollout as an operator runs it: start shows the plan and asks, status, pause, resume,
abort; the deploy key never shows."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from byod.models import Rollout
from tests.fixtures.canary import assert_no_canary
from tests.rollouts.conftest import Fleet, run_to_the_end

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("byod_rollout", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_start_shows_the_plan_and_starts_only_when_confirmed(
    fleet: Fleet, monkeypatch: Any
) -> None:
    fleet(3)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    out, _ = run("start", "--canary-count", "1", "--wave-size", "2")
    assert "3 connection(s) to deploy (canary: 1, wave 1: 2)" in out
    assert "from nothing (3 connection(s)):" in out
    assert "Not started." in out
    assert not Rollout.objects.exists()

    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    out, _ = run("start", "--canary-count", "1", "--wave-size", "2", "--in-flight", "2")
    rollout = Rollout.objects.get()
    assert f"Rollout #{rollout.pk} started" in out
    assert rollout.max_in_flight == 2

    run_to_the_end(rollout)
    out, _ = run("status")
    assert f"Rollout #{rollout.pk} to v{rollout.version}: completed" in out
    assert "3 succeeded, 0 failed" in out
    assert_no_canary(out)


def test_pause_resume_abort_and_follow(fleet: Fleet) -> None:
    fleet(2)
    run("start", "--yes")
    rollout = Rollout.objects.get()
    out, _ = run("pause", "--reason", "lunch")
    assert "paused" in out
    with pytest.raises(CommandError, match="paused: lunch"):
        run("status", str(rollout.pk), "--follow")
    run("resume")
    rollout.refresh_from_db()
    assert rollout.status == "running"
    out, _ = run("abort")
    assert "aborted: 0 queued deploy(s) cancelled" in out
    with pytest.raises(CommandError, match="No unfinished rollout"):
        run("pause")


def test_a_version_without_an_artifact_is_refused(fleet: Fleet) -> None:
    fleet(1)
    with pytest.raises(CommandError, match="Cannot start: v99"):
        run("start", "--yes", "--version", "99")


def test_impossible_options_are_refused_in_words(fleet: Fleet) -> None:
    fleet(1)
    with pytest.raises(CommandError, match="the wave size must be at least 1"):
        run("start", "--yes", "--wave-size", "0")
    assert not Rollout.objects.exists()
