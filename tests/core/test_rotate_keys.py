from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from byod import keys
from byod.models import Connection, Event, Move, MoveDirection
from tests.core.conftest import new_key
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.connections import make_connection
from tests.fixtures.people import make_user

OLD, NEW = new_key("old"), new_key("new")


def make_connections(count: int) -> list[Connection]:
    """`count` users, each with a connection whose key is sealed with the current key ring."""
    return [make_connection(make_user(f"user{i}"), name=f"deployment-{i}") for i in range(count)]


def rotate(capsys, *args: str) -> str:
    call_command("byod_rotate_keys", *args)
    return capsys.readouterr().out


def keys_of(rows: list[Connection]) -> list[str]:
    return [keys.open_deploy_key(Connection.objects.get(pk=r.pk)) for r in rows]


def test_it_reencrypts_old_rows_while_they_stay_readable(db, key_ring, capsys) -> None:
    key_ring(OLD)
    rows = make_connections(5)
    before = keys_of(rows)
    key_ring(NEW, OLD)  # the new key goes first; the old one still decrypts
    assert keys_of(rows) == before  # readable before rotation, no downtime

    out = rotate(capsys, "--batch-size", "2")

    assert "To rotate: 5" in out and "Rotated: 5. Unreadable: 0." in out
    assert set(Connection.objects.values_list("key_id", flat=True)) == {"new"}
    key_ring(NEW)  # the old key can now be dropped
    assert keys_of(rows) == before


def test_it_is_idempotent(db, key_ring, capsys) -> None:
    key_ring(OLD)
    rows = make_connections(3)
    key_ring(NEW, OLD)
    rotate(capsys)
    ciphertexts = list(Connection.objects.order_by("pk").values_list("key_ciphertext", flat=True))
    out = rotate(capsys)
    assert "To rotate: 0. Already on the current key: 3." in out
    assert ciphertexts == list(
        Connection.objects.order_by("pk").values_list("key_ciphertext", flat=True)
    )
    assert len(keys_of(rows)) == 3


def test_it_resumes_after_an_interrupted_run(db, key_ring, capsys, monkeypatch) -> None:
    key_ring(OLD)
    rows = make_connections(5)
    before = keys_of(rows)
    key_ring(NEW, OLD)
    real_encrypt = keys.encrypt
    calls = {"n": 0}

    def dies_on_the_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the operator hit ^C, or the process was killed
        return real_encrypt(*args, **kwargs)

    monkeypatch.setattr(keys, "encrypt", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        rotate(capsys, "--batch-size", "2")
    monkeypatch.setattr(keys, "encrypt", real_encrypt)
    # The first batch committed; the interrupted one rolled back as a whole.
    assert sorted(Connection.objects.values_list("key_id", flat=True)) == [
        "new",
        "new",
        "old",
        "old",
        "old",
    ]
    out = rotate(capsys, "--batch-size", "2")
    assert "To rotate: 3. Already on the current key: 2." in out
    assert set(Connection.objects.values_list("key_id", flat=True)) == {"new"}
    assert keys_of(rows) == before


def test_it_reports_rows_it_cannot_decrypt_and_rotates_the_rest(db, key_ring, capsys) -> None:
    key_ring(OLD)
    rows = make_connections(3)
    # Row 0's ciphertext is copied onto row 1: bound to another user, it must not decrypt.
    Connection.objects.filter(pk=rows[1].pk).update(key_ciphertext=rows[0].key_ciphertext)
    key_ring(NEW, OLD)
    with pytest.raises(CommandError, match=rf"1 key\(s\) could not be read .*{rows[1].pk}"):
        call_command("byod_rotate_keys")
    captured = capsys.readouterr()
    assert "Rotated: 2. Unreadable: 1." in captured.out
    assert "failed authentication" in captured.err
    assert_no_canary(captured.out, captured.err)
    assert Connection.objects.get(pk=rows[1].pk).key_id == "old"


def test_it_counts_without_changing_anything_on_a_dry_run(db, key_ring, capsys) -> None:
    key_ring(OLD)
    make_connections(2)
    key_ring(NEW, OLD)
    out = rotate(capsys, "--dry-run")
    assert "To rotate: 2" in out
    assert set(Connection.objects.values_list("key_id", flat=True)) == {"old"}


def test_each_rotated_row_gets_an_audit_event(db, key_ring, capsys) -> None:
    key_ring(OLD)
    rows = make_connections(3)
    key_ring(NEW, OLD)
    rotate(capsys, "--batch-size", "2")
    events = Event.objects.filter(kind="key.rotated").order_by("connection_id")
    assert [e.connection_id for e in events] == [r.pk for r in rows]
    assert all(e.data == {"from_key_id": "old", "to_key_id": "new"} for e in events)
    assert_no_canary(*(e.message for e in events))
    rotate(capsys)  # nothing left to rotate: no new events
    assert Event.objects.filter(kind="key.rotated").count() == 3


def test_it_reports_an_unreadable_row_already_on_the_current_key(db, key_ring, capsys) -> None:
    key_ring(NEW)
    rows = make_connections(2)
    Connection.objects.filter(pk=rows[1].pk).update(key_ciphertext=rows[0].key_ciphertext)
    with pytest.raises(CommandError, match=rf"1 key\(s\) could not be read .*{rows[1].pk}"):
        call_command("byod_rotate_keys")
    assert "To rotate: 0. Already on the current key: 2." in capsys.readouterr().out


def test_it_reseals_the_new_credentials_a_move_holds_until_it_applies_them(
    db, key_ring, capsys
) -> None:
    key_ring(OLD)
    [row] = make_connections(1)
    sealed = keys.seal_deploy_key("new|" + "ab" * 20, owner=row.user.external_id)
    move = Move.objects.create(
        user=row.user,
        direction=MoveDirection.BACK,
        source=row,
        destination=make_connection(make_user("main"), name="main", is_main=True),
        switch_url="https://new-one.convex.cloud",
        switch_key_ciphertext=sealed.ciphertext,
        switch_key_id=sealed.key_id,
    )
    key_ring(NEW, OLD)
    rotate(capsys)
    move.refresh_from_db()
    assert move.switch_key_id == "new" and move.switch_key_ciphertext != sealed.ciphertext
    key_ring(NEW)  # the old key dropped: the waiting credentials still open
    opened = keys.decrypt(
        keys.Sealed(key_id=move.switch_key_id, ciphertext=move.switch_key_ciphertext),
        owner=row.user.external_id,
        field=keys.KEY_FIELD,
    )
    assert opened == "new|" + "ab" * 20
