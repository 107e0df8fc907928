"""A canary deploy key goes through every path; it must never appear in clear anywhere."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection as db_connection

from byod import keys
from byod.inputs import InputError
from byod.models import Deployment
from byod.services import connections
from byod.services.deploys.run import run_deploy
from tests.fixtures.canary import assert_no_canary, cloud_key, self_hosted_key
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = pytest.mark.usefixtures("allow_emulator_hosts")

KEY = cloud_key("happy-otter-123")


class Sink:
    """Everything a test saw: command output, exception text, log lines."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, *texts: object) -> None:
        self.parts.extend(str(t) for t in texts)

    def text(self) -> str:
        return "\n".join(self.parts)


def database_bytes(tmp_path: Path) -> bytes:
    """The bytes of the database as a file (SQLite's backup copies pages as they are)."""
    if db_connection.vendor == "postgresql":
        # No file to read: every row of every table, as text, stands in for it.
        dump: list[str] = []
        with db_connection.cursor() as cursor:
            for table in db_connection.introspection.table_names(cursor):
                cursor.execute(f'SELECT CAST(t AS text) FROM "{table}" t')  # noqa: S608
                dump.extend(row[0] for row in cursor.fetchall())
        return "\n".join(dump).encode()
    if db_connection.vendor != "sqlite":
        pytest.skip("reads the SQLite database file or PostgreSQL rows")
    db_connection.ensure_connection()
    target = tmp_path / "copy.sqlite3"
    with sqlite3.connect(target) as copy:
        db_connection.connection.backup(copy)
    copy.close()
    return target.read_bytes()


def command(sink: Sink, capsys, name: str, *args: str) -> None:
    try:
        call_command(name, *args)
    except CommandError as error:
        sink.add(error, repr(error))
    captured = capsys.readouterr()
    sink.add(captured.out, captured.err)


def test_it_never_shows_input_errors_with_the_key(owner, caplog, fake_dns) -> None:
    fake_dns["happy-otter-123.convex.cloud"] = ["10.0.0.1"]  # refused by the SSRF guard
    caplog.set_level(logging.DEBUG)
    sink = Sink()
    for url in ("https://other-deployment-9.convex.cloud", "https://happy-otter-123.convex.cloud"):
        check = connections.check_credentials(url, KEY + " ")
        sink.add(check, check.message, repr(check.error))
    for bad in (KEY.replace("|", "| "), KEY.replace("prod:", "prd:")):
        with pytest.raises(InputError) as caught:
            connections.connect(owner, "https://happy-otter-123.convex.cloud", bad, actor=owner)
        sink.add(caught.value, repr(caught.value))
    sink.add(caplog.text, *(r.getMessage() for r in caplog.records))
    assert sink.text()
    assert_no_canary(sink.text())


@pytest.mark.django_db(transaction=True)  # no open transaction: the database can be copied
def test_it_never_shows_the_key_in_clear(
    owner,
    canary_deployment: EmulatorDeployment,
    caplog,
    capsys,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    sink = Sink()
    key = canary_deployment.admin_key
    key_file = tmp_path / "key"
    wrong_file = tmp_path / "wrong"
    key_file.write_text(key + "\n")
    wrong_file.write_text(self_hosted_key(canary_deployment.name))  # refused: another key

    def connect_with(file: Path) -> None:
        command(
            sink,
            capsys,
            "byod_connect",
            "--user",
            owner.username,
            "--url",
            canary_deployment.url,
            "--key-file",
            str(file),
        )

    # A refused key, and a deployment that echoes the key back in an error body.
    connect_with(wrong_file)
    canary_deployment.set_fault("check_admin_key", status=500, body=f"bad key {key}", times=1)
    connect_with(key_file)
    # The good path: connect, deploy, status, rotate.
    connect_with(key_file)
    deployment = Deployment.objects.get()
    run_deploy(deployment.pk)
    deployment.refresh_from_db()
    assert deployment.status == "succeeded", deployment.error_message
    command(sink, capsys, "byod_status")
    command(sink, capsys, "byod_rotate_keys")
    canary_deployment.set_fault("*", revoked_key=True)
    connection = deployment.connection
    connection.refresh_from_db()
    check = connections.check_credentials(connection.url, keys.open_deploy_key(connection))
    sink.add(check, check.message, repr(check.error), getattr(check.error, "detail", ""))
    sink.add(deployment.log, deployment.error_message, deployment.__dict__)
    sink.add(caplog.text, *(r.getMessage() for r in caplog.records))
    sink.add(*(repr(e.__dict__) for e in connection.events.all()))

    seen = sink.text()
    assert f"Connected {owner.username}" in seen  # the good path did run
    assert_no_canary(seen)
    raw = database_bytes(tmp_path)
    assert connection.key_ciphertext.encode() in raw  # the copy holds the row...
    assert_no_canary(raw)  # ...but not the key in clear
