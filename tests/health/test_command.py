"""`manage.py byod_health`: checks in this process, reports, exits non-zero when unhealthy."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from byod.models import Connection, Health
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.emulator import EmulatorDeployment


def run(*args: str) -> str:
    out = StringIO()
    call_command("byod_health", *args, stdout=out)
    return out.getvalue()


def test_it_checks_a_user_and_reports_healthy(deployed: Connection) -> None:
    output = run("--user", "owner")
    assert "1/1 done" in output
    assert "1 healthy" in output
    deployed.refresh_from_db()
    assert deployed.health == Health.HEALTHY


def test_it_exits_non_zero_when_a_connection_is_unhealthy(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.set_state("deleted")
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 1 connection"):
        call_command("byod_health", "--all", stdout=out)
    assert "deployment_not_found" in out.getvalue()
    assert_no_canary(out.getvalue())


def test_due_checks_only_what_is_due(deployed: Connection) -> None:
    run("--due")
    assert "Checked 1" in run("--all")
    assert run("--due") == "No connections to check.\n"


def test_what_to_do_is_cut_at_a_word(
    deployed: Connection, canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.set_fault("*", revoked_key=True)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("byod_health", "--all", stdout=out)
    deployed.refresh_from_db()
    advice = " ".join(deployed.health_message.split())
    assert len(advice) > 120, "a message long enough to be cut"
    row = next(line for line in out.getvalue().splitlines() if "bad_credentials" in line)
    shown = row[row.index("Your deployment") :]
    assert shown.endswith("…") and advice.startswith(shown[:-1])
    assert advice[len(shown) - 1] == " ", f"cut inside a word: {shown!r}"
