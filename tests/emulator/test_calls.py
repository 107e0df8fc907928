"""The emulator counts function calls per deployment, so tests can assert what a page costs."""

from __future__ import annotations

import httpx

from tests.emulator.test_functions import call
from tests.fixtures.emulator import Emulator, EmulatorDeployment


def batch(client: httpx.Client, dep: EmulatorDeployment, *paths: str) -> httpx.Response:
    queries = [{"path": p, "args": {}, "format": "json"} for p in paths]
    return client.post(f"{dep.url}/api/query_batch", json={"queries": queries})


def test_it_counts_functions_by_kind_and_path_and_requests(
    client: httpx.Client, deployed: EmulatorDeployment
) -> None:
    assert deployed.calls() == {"requests": 0, "dropped": 0, "functions": {}, "total": 0}
    call(client, deployed, "mutation", "notes:add", {"title": "a"})
    call(client, deployed, "query", "notes:count")
    assert batch(client, deployed, "notes:count", "notes:count", "notes:noisy").status_code == 200
    client.post(f"{deployed.url}/api/run/notes/count", json={"args": {}})
    assert deployed.calls() == {
        "requests": 4,
        "dropped": 0,
        "functions": {"mutation notes:add": 1, "query notes:count": 4, "query notes:noisy": 1},
        "total": 6,
    }


def test_reset_starts_from_zero_and_counts_stay_on_their_deployment(
    client: httpx.Client, convex_emulator: Emulator, deployed: EmulatorDeployment
) -> None:
    call(client, deployed, "query", "notes:count")
    other = convex_emulator.create_deployment(copy_of=deployed.name)
    try:
        assert convex_emulator.calls(other.name)["total"] == 0
        call(client, other, "query", "notes:count")
        assert convex_emulator.calls(other.name)["total"] == 1
        assert deployed.calls()["total"] == 1
        convex_emulator.reset_calls(deployed.name)
        assert deployed.calls() == {"requests": 0, "dropped": 0, "functions": {}, "total": 0}
        assert other.calls()["total"] == 1
    finally:
        convex_emulator.delete_deployment(other.name)


def test_requests_answered_by_a_fault_or_refused_are_not_counted(
    client: httpx.Client, deployed: EmulatorDeployment
) -> None:
    deployed.set_fault("query", status=503, times=1)
    assert call(client, deployed, "query", "notes:count").status_code == 503
    assert call(client, deployed, "query", "notes:count", key="wrong").status_code == 403
    assert call(client, deployed, "query", "notes:nope").json()["status"] == "error"
    assert client.get(f"{deployed.url}/version").status_code == 200
    assert deployed.calls() == {"requests": 1, "dropped": 0, "functions": {}, "total": 0}


def test_a_function_that_fails_still_counts(
    client: httpx.Client, deployed: EmulatorDeployment
) -> None:
    assert call(client, deployed, "mutation", "notes:fail").json()["status"] == "error"
    assert deployed.calls()["functions"] == {"mutation notes:fail": 1}
