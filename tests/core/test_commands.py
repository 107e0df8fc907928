"""byod_connect and byod_status from a shell."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from byod.models import Connection, ConnectionStatus
from tests.fixtures.canary import assert_no_canary, cloud_key, self_hosted_key
from tests.fixtures.connections import make_connection

pytestmark = pytest.mark.usefixtures("allow_emulator_hosts")

KEY = cloud_key("happy-otter-123")


@pytest.mark.parametrize("extra", [["--key", KEY], [f"--key={KEY}"], [KEY], ["--k", KEY]])
def test_it_takes_no_key_on_the_command_line(owner, tmp_path, extra: list[str]) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY)
    with pytest.raises(CommandError, match="never from the command line") as caught:
        call_command(
            "byod_connect", "--user", owner.username, "--url", "https://happy-otter-123.convex.cloud",
            "--key-file", str(key_file), *extra,
        )  # fmt: skip
    assert_no_canary(caught.value)
    assert not Connection.objects.exists()


def test_it_names_an_unknown_user(db, tmp_path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY)
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("byod_connect", "--user", "nobody", "--url", "https://x.convex.cloud",
                     "--key-file", str(key_file))  # fmt: skip


@pytest.mark.parametrize(("content", "says"), [(None, "Cannot read"), ("\n", "empty")])
def test_it_explains_a_missing_or_empty_key_file(owner, tmp_path, content, says) -> None:
    key_file = tmp_path / "key"
    if content is not None:
        key_file.write_text(content)
    with pytest.raises(CommandError, match=says):
        call_command("byod_connect", "--user", owner.username, "--url", "https://x.convex.cloud",
                     "--key-file", str(key_file))  # fmt: skip


def test_it_refuses_a_key_for_another_deployment_without_echoing_it(owner, tmp_path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY)
    with pytest.raises(CommandError) as caught:
        call_command("byod_connect", "--user", owner.username, "--url",
                     "https://calm-fox-7.convex.cloud", "--key-file", str(key_file))  # fmt: skip
    assert "Refused (deploy_key): This deploy key belongs to deployment 'happy-otter-123'" in str(
        caught.value
    )
    assert_no_canary(caught.value)
    assert not Connection.objects.exists()


def test_it_reports_a_refused_key_from_stdin(owner, convex_deployment, monkeypatch) -> None:
    wrong = self_hosted_key(convex_deployment.name)
    monkeypatch.setattr("sys.stdin", io.StringIO(wrong + "\n"))
    with pytest.raises(CommandError, match=r"The deployment refused \(bad_credentials\)") as caught:
        call_command("byod_connect", "--user", owner.username, "--url", convex_deployment.url,
                     "--key-file", "-")  # fmt: skip
    assert_no_canary(caught.value)


def test_it_connects_with_a_key_from_stdin(owner, canary_deployment, monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(canary_deployment.admin_key + "\n"))
    call_command("byod_connect", "--user", owner.email, "--url", canary_deployment.url,
                 "--key-file", "-")  # fmt: skip
    out = capsys.readouterr().out
    assert f"Connected {owner.username} to {canary_deployment.url}" in out
    assert "queued" in out
    assert_no_canary(out)
    connection = Connection.objects.get(user=owner)
    assert connection.deployments.get().trigger == "command"


def test_it_prints_a_status_table(owner, other_user, capsys) -> None:
    # Sorted by username: "other" comes before "owner".
    make_connection(other_user, name="a", status=ConnectionStatus.PENDING, deployed_version=None)
    make_connection(
        owner,
        name="b",
        status=ConnectionStatus.ERROR,
        last_error_category="unreachable",
        last_error_message="We could not reach it.",
        last_error_at=timezone.now(),
    )
    call_command("byod_status")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["USER", "STATUS", "DEPLOYED", "CURRENT", "LAST", "DEPLOY", "LAST",
                                "MIGRATION", "LAST", "ERROR"]  # fmt: skip
    assert lines[1].split()[:3] == ["other", "pending", "-"]
    assert lines[2].split()[:3] == ["owner", "error", "v1"]
    assert "unreachable: We could not reach it." in lines[2]
    assert lines[-1].startswith("2 connection(s): 1 error, 1 pending; ")
    call_command("byod_status", "--failing")
    out = capsys.readouterr().out
    assert "owner" in out and "other" not in out
