"""Convex's per-transaction limits on pushed functions, in the backend's words, and bulk inserts."""

from __future__ import annotations

import httpx
import pytest

from tests.emulator.test_functions import call
from tests.fixtures.emulator import EmulatorDeployment

HELP = (
    "Consider using smaller limits in your queries, paginating your queries, or using indexed "
    "queries with a selective index range expressions."
)


def test_it_loads_thousands_of_documents_in_one_request(
    client: httpx.Client, deployed: EmulatorDeployment
) -> None:
    ids = deployed.insert_many("notes", [{"title": f"n{i}", "pinned": False} for i in range(3000)])
    assert len(set(ids)) == 3000
    assert call(client, deployed, "query", "notes:count").json()["value"] == 3000


@pytest.mark.slow
def test_a_function_reading_more_than_32000_documents_fails_as_on_convex(
    client: httpx.Client, deployed: EmulatorDeployment
) -> None:
    deployed.insert_many("notes", [{"title": "n", "pinned": False} for _ in range(32_001)])
    answer = call(client, deployed, "query", "notes:count").json()
    assert answer == {
        "status": "error",
        "errorMessage": "Uncaught Error: Too many documents read in a single function execution "
        f"(limit: 32000). {HELP}",
    }


def test_a_lowered_write_limit_fails_the_mutation_and_writes_nothing(
    client: httpx.Client, deployed: EmulatorDeployment
) -> None:
    deployed.set_transaction_limits({"documentsWritten": 0})
    answer = call(client, deployed, "mutation", "notes:add", {"title": "no room"}).json()
    assert answer == {
        "status": "error",
        "errorMessage": "Uncaught Error: Too many writes in a single function execution (limit: 0)",
    }
    assert deployed.documents("notes") == []
    deployed.set_transaction_limits(True)
    assert call(client, deployed, "mutation", "notes:add", {"title": "room"}).json()["status"] == (
        "success"
    )


def test_a_lowered_read_limit_counts_documents_read(
    client: httpx.Client, deployed: EmulatorDeployment
) -> None:
    deployed.insert_many("notes", [{"title": f"n{i}", "pinned": False} for i in range(6)])
    deployed.set_transaction_limits({"documentsRead": 5})
    answer = call(client, deployed, "query", "notes:count").json()
    assert answer["errorMessage"] == (
        f"Uncaught Error: Too many documents read in a single function execution (limit: 5). {HELP}"
    )


def test_it_refuses_limits_it_does_not_know(deployed: EmulatorDeployment) -> None:
    with pytest.raises(Exception, match="InvalidTransactionLimits"):
        deployed.set_transaction_limits({"documentsWrtten": 5})
