"""One emulator process serves 1,000 deployments and 200 concurrent requests."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from tests.emulator.convex_cli import push, push_request

pytestmark = pytest.mark.slow

DEPLOYMENTS = 1000
CONCURRENT = 200


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def create_many(base_url: str, count: int) -> list[dict]:
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        semaphore = asyncio.Semaphore(50)

        async def one() -> dict:
            async with semaphore:
                response = await client.post("/deployments", json={})
                response.raise_for_status()
                created: dict = response.json()
                return created

        return await asyncio.gather(*(one() for _ in range(count)))


async def hit_concurrently(targets: list[dict], query_target: dict) -> list[tuple[int, float]]:
    limits = httpx.Limits(max_connections=CONCURRENT, max_keepalive_connections=CONCURRENT)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        start_gate = asyncio.Event()

        async def one(i: int) -> tuple[int, float]:
            await start_gate.wait()
            started = time.monotonic()
            if i % 2 == 0:
                dep = targets[i % len(targets)]
                response = await client.get(
                    dep["url"] + "/api/check_admin_key",
                    headers={"Authorization": f"Convex {dep['adminKey']}"},
                )
            else:
                response = await client.post(
                    query_target["url"] + "/api/mutation",
                    json={"path": "notes:add", "args": {"title": f"n{i}"}, "format": "json"},
                )
                assert response.json()["status"] == "success", response.text
            return response.status_code, time.monotonic() - started

        tasks = [asyncio.create_task(one(i)) for i in range(CONCURRENT)]
        await asyncio.sleep(0)
        start_gate.set()
        return await asyncio.gather(*tasks)


def test_it_serves_a_thousand_deployments_and_200_concurrent_requests(convex_emulator):
    rss_before = rss_mb(convex_emulator.process.pid)
    started = time.monotonic()
    created = asyncio.run(create_many(convex_emulator.base_url, DEPLOYMENTS))
    create_s = time.monotonic() - started
    try:
        assert len({d["url"] for d in created}) == DEPLOYMENTS
        with httpx.Client(timeout=60) as client:
            target = created[0]
            outcome = push(client, target["url"], target["adminKey"], push_request())
            assert outcome["finish"].status_code == 200
        started = time.monotonic()
        results = asyncio.run(hit_concurrently(created, target))
        burst_s = time.monotonic() - started
        latencies = sorted(latency for _, latency in results)
        assert [code for code, _ in results] == [200] * CONCURRENT
        rss_after = rss_mb(convex_emulator.process.pid)
        print(
            f"\n{DEPLOYMENTS} deployments created in {create_s:.1f}s; "
            f"{CONCURRENT} concurrent requests in {burst_s:.2f}s "
            f"(p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
            f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms, "
            f"max {latencies[-1] * 1000:.0f} ms); "
            f"RSS {rss_before:.0f} -> {rss_after:.0f} MB"
        )
        assert burst_s < 30
        with httpx.Client(timeout=60) as client:
            count = client.post(
                target["url"] + "/api/query", json={"path": "notes:count", "args": {}}
            ).json()
        assert count["value"] == CONCURRENT // 2
    finally:
        for dep in created:
            convex_emulator.delete_deployment(dep["name"])
