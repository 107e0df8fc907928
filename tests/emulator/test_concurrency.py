"""The concurrency cap: N queries and N mutations at once, then a wait, then Convex's 429."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.fixtures.emulator import Emulator, EmulatorDeployment

HELP = (
    "To get more resources, upgrade to Convex Pro. If you are already on Convex Pro, please "
    "contact support."
)


def run(dep: EmulatorDeployment, kind: str, path: str, args: dict[str, Any]) -> httpx.Response:
    with httpx.Client(timeout=30) as c:
        body = {"path": path, "args": args, "format": "json"}
        return c.post(f"{dep.url}/api/{kind}", json=body)


def slow_query(dep: EmulatorDeployment, ms: int) -> httpx.Response:
    return run(dep, "query", "data:echo", {"value": ms})


def wait_until_running(dep: EmulatorDeployment, kind: str, n: int) -> None:
    deadline = time.monotonic() + 10
    while dep.info()["concurrency"]["running"][kind] < n:
        assert time.monotonic() < deadline, dep.info()["concurrency"]
        time.sleep(0.02)


def test_the_defaults_are_convexs(data_deployed: EmulatorDeployment) -> None:
    assert data_deployed.info()["concurrency"] == {
        "queries": 16,
        "mutations": 16,
        "waitMs": 5000,
        "running": {"queries": 0, "mutations": 0},
    }


def test_a_call_that_waited_too_long_gets_429_in_convexs_words(
    data_deployed: EmulatorDeployment,
) -> None:
    data_deployed.set_concurrency(queries=2, wait_ms=200)
    data_deployed.set_fault("query", slow_ms=1500, times=2)
    with ThreadPoolExecutor(2) as pool:
        held = [pool.submit(slow_query, data_deployed, 1500) for _ in range(2)]
        wait_until_running(data_deployed, "queries", 2)
        started = time.monotonic()
        refused = slow_query(data_deployed, 1)
        waited = time.monotonic() - started
        assert [h.result().json()["value"] for h in held] == [1500.0, 1500.0]
    assert refused.status_code == 429
    assert refused.json() == {
        "code": "TooManyConcurrentRequests",
        "message": "Too many concurrent requests. Your backend is limited to 2 concurrent "
        f"querys. {HELP}",
    }
    assert 0.2 <= waited < 1.4
    calls = data_deployed.calls()
    assert calls["functions"] == {"query data:echo": 2}  # the refused one did not run
    assert calls["requests"] == 3


def test_a_waiting_call_runs_when_a_slot_frees(data_deployed: EmulatorDeployment) -> None:
    data_deployed.set_concurrency(mutations=1, wait_ms=5000)
    data_deployed.set_fault("mutation", slow_ms=200)
    started = time.monotonic()
    with ThreadPoolExecutor(3) as pool:
        answers = list(
            pool.map(
                lambda i: run(data_deployed, "mutation", "data:store", {"doc": {"i": i}}), range(3)
            )
        )
    assert time.monotonic() - started >= 0.6  # one after another
    assert [a.json()["status"] for a in answers] == ["success"] * 3
    assert len(data_deployed.documents("blobs")) == 3


def test_queries_and_mutations_have_their_own_slots(data_deployed: EmulatorDeployment) -> None:
    data_deployed.set_concurrency(queries=1, mutations=1, wait_ms=100)
    data_deployed.set_fault("query", slow_ms=1000, times=1)
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(slow_query, data_deployed, 1000)
        wait_until_running(data_deployed, "queries", 1)
        wrote = run(data_deployed, "mutation", "data:store", {"doc": {"x": 1}})
        batch = httpx.post(
            f"{data_deployed.url}/api/query_batch",
            json={"queries": [{"path": "data:echo", "args": {"value": 1}, "format": "json"}]},
        )
        held.result()
    assert wrote.json()["status"] == "success"
    assert batch.status_code == 429  # a batch that cannot get a slot fails as a whole
    assert batch.json()["code"] == "TooManyConcurrentRequests"


def test_raising_the_cap_lets_waiting_calls_in(data_deployed: EmulatorDeployment) -> None:
    data_deployed.set_concurrency(queries=1, wait_ms=10_000)
    data_deployed.set_fault("query", slow_ms=3000, times=1)
    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(slow_query, data_deployed, 3000)
        wait_until_running(data_deployed, "queries", 1)
        waiting = pool.submit(slow_query, data_deployed, 1)
        time.sleep(0.2)
        started = time.monotonic()
        data_deployed.set_concurrency(queries=2)
        assert waiting.result().json()["value"] == 1.0
        assert time.monotonic() - started < 2
        held.result()


@pytest.mark.parametrize(
    "config", [{"queries": 0}, {"mutations": 1.5}, {"waitMs": -1}, {"actions": 2}, [1]]
)
def test_a_wrong_cap_is_refused(
    convex_emulator: Emulator, data_deployed: EmulatorDeployment, config: Any
) -> None:
    response = httpx.post(
        f"{convex_emulator.base_url}/deployments/{data_deployed.name}/config",
        json={"concurrency": config},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidConcurrency"
