"""open_deploy_key: the only place a stored key is opened, bound to its owner's row."""

from __future__ import annotations

import pytest

from byod import transitions
from byod.errors import KeyUnreadable, NoDeployKey
from byod.keys import open_deploy_key as get_deploy_key
from byod.models import Connection
from tests.fixtures.canary import assert_no_canary, cloud_key
from tests.fixtures.connections import make_connection

KEY = cloud_key("happy-otter-123")
OTHER_KEY = cloud_key("calm-fox-7")


def test_it_decrypts_the_owners_key(owner) -> None:
    connection = make_connection(owner, name="happy-otter-123", key=KEY)
    assert_no_canary(connection.key_ciphertext)
    assert get_deploy_key(Connection.objects.get(pk=connection.pk)) == KEY


def test_it_refuses_a_key_copied_into_another_users_row(owner, other_user) -> None:
    theirs = make_connection(owner, name="happy-otter-123", key=KEY)
    mine = make_connection(other_user, name="calm-fox-7", key=OTHER_KEY)
    # An attacker with database write access swaps the ciphertexts between the rows.
    Connection.objects.filter(pk=mine.pk).update(key_ciphertext=theirs.key_ciphertext)
    Connection.objects.filter(pk=theirs.pk).update(key_ciphertext=mine.key_ciphertext)
    for row in Connection.objects.all():
        with pytest.raises(KeyUnreadable, match="belongs to another user") as caught:
            get_deploy_key(row)
        assert_no_canary(caught.value)
        assert "calm-fox-7|" not in str(caught.value)


def test_it_refuses_a_tampered_row(owner) -> None:
    connection = make_connection(owner, name="happy-otter-123", key=KEY)
    text = connection.key_ciphertext
    flipped = text[:-6] + ("A" if text[-6] != "A" else "B") + text[-5:]
    Connection.objects.filter(pk=connection.pk).update(key_ciphertext=flipped)
    with pytest.raises(KeyUnreadable, match="altered"):
        get_deploy_key(Connection.objects.get(pk=connection.pk))


def test_it_has_no_key_after_disconnect(owner) -> None:
    connection = make_connection(owner, name="happy-otter-123", key=KEY)
    transitions.mark_disconnected(connection, actor=owner)
    row = Connection.objects.get(pk=connection.pk)
    assert (row.key_ciphertext, row.key_id) == ("", "")
    with pytest.raises(NoDeployKey, match="connect again"):
        get_deploy_key(row)


def schema_of(*names: str) -> dict:
    return {"tables": [{"tableName": n} for n in names], "schemaValidation": True}


def test_it_counts_every_table_of_another_project_as_foreign() -> None:
    from byod.services.connections import foreign_tables

    assert foreign_tables(None, []) == []
    assert foreign_tables(schema_of(), []) == []
    # Same names as ours, but no meta table: someone else's tables.
    assert foreign_tables(schema_of("tags", "notes"), []) == ["notes", "tags"]
    # Documents without a schema are someone's too.
    assert foreign_tables(None, ["users"]) == ["users"]
    assert foreign_tables(schema_of("notes"), ["notes", "orders"]) == ["notes", "orders"]


def test_it_counts_only_unknown_tables_on_a_deployment_running_our_package() -> None:
    from byod.package import schema_export
    from byod.services.connections import foreign_tables

    ours = [t["tableName"] for t in schema_export()["tables"]]
    assert "byodMeta" in ours
    assert foreign_tables(schema_of(*ours), ["messages", "byodMeta"]) == []
    assert foreign_tables(schema_of(*ours, "legacyStuff"), []) == ["legacyStuff"]
    assert foreign_tables(schema_of(*ours), ["importedOrders"]) == ["importedOrders"]
