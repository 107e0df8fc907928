"""byod_deploy and byod_reap as an operator runs them; the deploy key never shows."""

from __future__ import annotations

import logging
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from byod.models import Connection, Deployment
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    # One at a time: the test database is one transaction that other threads cannot see.
    out, err = StringIO(), StringIO()
    call_command(*args, "--concurrency", "1", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_deploys_one_user_and_prints_a_summary(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment
) -> None:
    connection, queued = connected
    out, _ = run("byod_deploy", "--user", connection.user.username)
    assert "1/1 done, 0 failed" in out
    assert connection.user.username in out
    assert "succeeded" in out
    assert Deployment.objects.get(pk=queued.pk).status == "succeeded"
    # The queued deploy was reused, not doubled.
    assert connection.deployments.count() == 1


def test_it_exits_non_zero_and_names_the_failure(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment
) -> None:
    canary_deployment.set_fault("*", revoked_key=True)
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 1 deploys did not succeed"):
        call_command("byod_deploy", "--all", "--concurrency", "1", stdout=out, stderr=StringIO())
    assert "bad_credentials" in out.getvalue()


def test_outdated_selects_only_connections_behind(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment
) -> None:
    run("byod_deploy", "--all")
    out, _ = run("byod_deploy", "--outdated")
    assert "No connections to deploy." in out


def test_a_dry_run_from_the_command_changes_nothing(
    connected: tuple[Connection, Deployment], canary_deployment: EmulatorDeployment
) -> None:
    connection, _ = connected
    run("byod_deploy", "--all")
    pushes = canary_deployment.pushes()
    out, _ = run("byod_deploy", "--all", "--dry-run")
    assert "Dry run of 1 connection(s)." in out
    assert canary_deployment.pushes() == pushes
    assert connection.deployments.filter(dry_run=True, status="succeeded").count() == 1


def test_it_refuses_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="No user"):
        run("byod_deploy", "--user", "nobody")


def test_it_refuses_a_version_without_a_build(
    connected: tuple[Connection, Deployment],
) -> None:
    Deployment.objects.update(status="cancelled")
    with pytest.raises(CommandError):
        run("byod_deploy", "--all", "--version", "9999")


def test_reap_says_when_there_is_nothing_to_do() -> None:
    out = StringIO()
    call_command("byod_reap", stdout=out)
    assert "No abandoned deploys." in out.getvalue()


def test_the_canary_key_appears_nowhere_in_clear(
    connected: tuple[Connection, Deployment],
    canary_deployment: EmulatorDeployment,
    caplog: Any,
    fast_retries: None,
) -> None:
    caplog.set_level(logging.DEBUG)
    connection, _ = connected
    # Failures of every kind carry text from the deployment; make one echo the key.
    canary_deployment.set_fault(
        "deploy2/start_push",
        status=500,
        body={"code": "InternalServerError", "message": f"bad {canary_deployment.admin_key}"},
        times=1,
    )
    out, err = StringIO(), StringIO()
    call_command("byod_deploy", "--all", "--concurrency=1", stdout=out, stderr=err)
    canary_deployment.set_fault("*", revoked_key=True)
    with pytest.raises(CommandError) as failed:
        call_command("byod_deploy", "--all", "--concurrency=1", stdout=out, stderr=err)
    texts = [out.getvalue(), err.getvalue(), caplog.text, str(failed.value)]
    for row in Deployment.objects.all():
        texts += [row.log, row.error_message, str(row.diff_summary)]
    texts += [e.message + str(e.data) for e in connection.events.all()]
    connection.refresh_from_db()
    texts += [connection.last_error_message, connection.key_ciphertext]
    assert_no_canary(*texts)


def test_an_older_version_needs_allow_downgrade_and_a_second_answer(
    deployed_connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, newer = deployed_connection.user.username, deployed_connection.deployed_version
    assert newer is not None and newer > 1
    args = ("byod_deploy", "--user", user, "--version", "1")
    with pytest.raises(CommandError, match="Going back loses data: add --allow-downgrade"):
        run(*args)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    out, _ = run(*args, "--allow-downgrade")
    assert f"Going back to v1 on 1 connection(s): {user} (v{newer})." in out
    assert "Nothing deployed." in out
    deployed_connection.refresh_from_db()
    assert deployed_connection.deployed_version == newer
    out, _ = run(*args, "--allow-downgrade", "--yes")
    deployed_connection.refresh_from_db()
    assert deployed_connection.deployed_version == 1
