"""The backend's own queries under _system/, which the CLI and the dashboard call as admin."""

from __future__ import annotations

from tests.emulator.test_functions import call

TABLE_SIZE = "_system/cli/tableSize:default"


def test_it_counts_the_documents_of_a_table(client, deployed):
    deployed.insert_many("notes", [{"title": f"n{i}"} for i in range(3)])
    call(client, deployed, "mutation", "notes:add", {"title": "one more"})
    answer = call(
        client, deployed, "query", TABLE_SIZE, {"tableName": "notes"}, key=deployed.admin_key
    )
    assert answer.status_code == 200
    assert answer.json() == {"status": "success", "value": 4}


def test_it_counts_zero_for_a_table_that_does_not_exist(client, deployed):
    args = {"tableName": "nothingHere"}
    answer = call(client, deployed, "query", TABLE_SIZE, args, key=deployed.admin_key).json()
    assert answer == {"status": "success", "value": 0}


def test_it_refuses_a_call_without_the_admin_key(client, deployed):
    answer = call(client, deployed, "query", TABLE_SIZE, {"tableName": "notes"})
    assert answer.status_code == 403
    assert answer.json()["code"] == "BadDeployKey"


def test_it_refuses_a_wrong_key(client, deployed):
    args = {"tableName": "notes"}
    answer = call(client, deployed, "query", TABLE_SIZE, args, key=deployed.admin_key + "0")
    assert answer.status_code == 403


def test_it_answers_the_paused_text_on_a_paused_deployment(client, deployed):
    deployed.set_state("paused")
    args = {"tableName": "notes"}
    answer = call(client, deployed, "query", TABLE_SIZE, args, key=deployed.admin_key).json()
    assert answer["status"] == "error"
    assert "paused" in answer["errorMessage"]
