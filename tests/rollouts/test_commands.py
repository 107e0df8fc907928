"""byod_rollout as an operator runs it: start shows the plan and asks, status, pause, resume,
abort; the deploy key never shows."""

from __future__ import annotations

import getpass
import subprocess
import sys
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from byod.models import Connection, Rollout
from tests.fixtures.canary import assert_no_canary
from tests.rollouts.conftest import Fleet, FleetOn, run_to_the_end

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("byod_rollout", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def exits(*args: str) -> tuple[int, str, str]:
    """The command's exit status (0 when it returned), its output and its errors."""
    out, err = StringIO(), StringIO()
    try:
        call_command("byod_rollout", *args, stdout=out, stderr=err)
    except SystemExit as stop:
        return int(stop.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


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
    code, _, err = exits("status", str(rollout.pk), "--follow")
    assert code == 2
    assert f"Rollout #{rollout.pk} is paused (lunch): resume it" in err
    assert "CommandError" not in err
    run("resume")
    rollout.refresh_from_db()
    assert rollout.status == "running"
    out, _ = run("abort")
    assert f"Rollout #{rollout.pk} aborted: 2 cancelled (2 connection(s) not reached" in out
    code, _, err = exits("status", str(rollout.pk), "--follow")
    assert code == 3 and f"Rollout #{rollout.pk} was aborted: 2 connection(s) not reached" in err
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


def answers(monkeypatch: Any, *said: str, before: Callable[[], object] | None = None) -> None:
    """The prompts get `said`, in order; `before` runs when the first question is asked."""
    left = list(said)

    def reply(prompt: str) -> str:
        if before is not None and len(left) == len(said):
            before()
        return left.pop(0)

    monkeypatch.setattr("builtins.input", reply)


def test_the_answer_is_for_the_plan_printed(fleet: Fleet, monkeypatch: Any) -> None:
    fleet(2)
    # A user connects while the operator reads the plan: the yes was not for that plan.
    answers(monkeypatch, "y", before=lambda: fleet(1))
    with pytest.raises(CommandError, match="no longer the one you previewed"):
        run("start", "--count-wait", "0")
    assert not Rollout.objects.exists()
    answers(monkeypatch, "y")
    out, _ = run("start", "--count-wait", "0")
    assert "3 connection(s) to deploy" in out
    assert Rollout.objects.get().members.count() == 3


def test_help_shows_the_safe_defaults() -> None:
    shown = subprocess.run(
        [sys.executable, "manage.py", "byod_rollout", "start", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    said = " ".join(shown.split())
    assert "(default: 5%)" in said and "pause when the canary has F failures (default: 1)" in said
    assert "pause when R% of a wave failed (default: 10)" in said and "(default: 25)" in said
    assert "Defaults are safe: a canary of 5% of the connections (at least one)" in said
    assert (
        "--follow exits 0 when the rollout completed, 1 with failures, 2 paused, 3 aborted" in said
    )


def test_the_preview_sizes_the_rollout_and_names_its_members(
    fleet_on: FleetOn, monkeypatch: Any
) -> None:
    counted, other = fleet_on(2, 1)
    Connection.objects.filter(pk=counted.connection.pk).update(
        table_counts={"conversations": 1200, "memories": 0}, table_counts_at=timezone.now()
    )
    Connection.objects.filter(pk=other.connection.pk).update(
        health="degraded", health_reason="timeout"
    )
    answers(monkeypatch, "n")
    out, _ = run("start", "--count-wait", "0", "--canary-count", "1")
    assert f"canary: {counted.connection.user.username}" in out
    assert f"wave 1: {other.connection.user.username}" in out
    assert "documents: 1,200 over 1 counted connection(s)" in out and "1 never counted" in out
    assert "to rewrite: 1,200 document(s) (conversations: 1,200), 12 batch(es)" in out
    assert "time: about" in out and "per batch of 100 documents rewritten" in out
    assert f"unhealthy now (1, likely to fail): {other.connection.user.username} (timeout)" in out
    assert "stop rule: the canary pauses it at its first failure" in out
    assert "offer: each user is offered the version when their wave is reached" in out
    # The connection never counted was queued for a count on the workers, not counted here.
    other.connection.refresh_from_db()
    assert other.connection.count_requested_at is not None
    assert other.connection.table_counts_at is None


def test_a_way_back_needs_the_flag_and_its_own_answer(fleet_on: FleetOn, monkeypatch: Any) -> None:
    fleet_on(2, 2)
    with pytest.raises(CommandError, match="needs an explicit allow-downgrade"):
        run("start", "--version", "1", "--yes", "--count-wait", "0")
    answers(monkeypatch, "y", "n")
    out, _ = run("start", "--version", "1", "--allow-downgrade", "--count-wait", "0")
    assert "going back to v1" in out and "Not started." in out
    assert not Rollout.objects.exists()
    answers(monkeypatch, "y", "y")
    out, _ = run("start", "--version", "1", "--allow-downgrade", "--count-wait", "0")
    rollout = Rollout.objects.get()
    assert rollout.downgrade and rollout.version == 1


def test_cli_rollouts_record_who_started_them(fleet: Fleet, staff: User) -> None:
    fleet(2)
    run("start", "--yes", "--count-wait", "0")
    first = Rollout.objects.get()
    me = f"{getpass.getuser()} (shell)"
    assert first.started_by == me and f" {me}: started" in first.log
    run("abort", "--actor", staff.username, "--reason", "again")
    first.refresh_from_db()
    assert f" {staff.username}: aborted: again" in first.log
    out, _ = run("start", "--yes", "--count-wait", "0", "--actor", staff.username)
    second = Rollout.objects.latest("pk")
    assert second.created_by == staff and second.started_by == staff.username
    assert f"started by {staff.username}" in out


def test_opening_from_the_command(fleet: Fleet) -> None:
    fleet(2)
    run("start", "--yes", "--count-wait", "0")
    out, _ = run("open")
    rollout = Rollout.objects.get()
    assert f"v{rollout.version} is offered to every user now." in out
    rollout.refresh_from_db()
    assert rollout.opened_at is not None
