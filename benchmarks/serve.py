"""Benchmark: requests served and dropped by the web server at C concurrent clients.

    scripts/bench serve [--clients 200] [--requests-each 2] [--compare-runserver]

Starts `manage.py serve` (gunicorn, as scripts/run does; no task worker) on a throwaway
database, then C clients at once each make R requests (the home page, the login page, a
static file; a new connection each). Prints requests served (2xx/3xx), dropped (refused,
reset, timed out or 5xx), and latency percentiles. `--compare-runserver` runs the same load
against Django's development server, which the quick start used before.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter

import httpx

from benchmarks.harness import ROOT, throwaway_django

PATHS = ["/", "/accounts/login/", "/static/css/site.css"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench serve", description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests-each", type=int, default=2)
    parser.add_argument("--compare-runserver", action="store_true")
    options = parser.parse_args(argv)
    with throwaway_django():
        os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1"
        os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
        servers = ["gunicorn (manage.py serve)"]
        if options.compare_runserver:
            servers.append("runserver")
        for name in servers:
            run_one(name, options.clients, options.requests_each)


def run_one(name: str, clients: int, each: int) -> None:
    port = _free_port()
    manage = [sys.executable, str(ROOT / "manage.py")]
    if name == "runserver":
        command = [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"]
    else:
        command = [*manage, "serve", f"127.0.0.1:{port}", "--workers", "0"]
    # The development server serves static files only with DEBUG on; both get the same.
    env = {**os.environ, "DJANGO_DEBUG": "1"}
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_until_up(port)
        outcomes, latencies, wall = asyncio.run(_load(port, clients, each))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    total = clients * each
    served = outcomes["served"]
    print(f"== {name}: {clients} concurrent clients x {each} requests ==")
    print(f"  served           {served}/{total}")
    print(f"  dropped          {total - served}  {dict(outcomes - Counter(served=served))}")
    print(f"  wall time        {wall:.2f} s ({total / wall:.0f} requests/s)")
    if latencies:
        q = statistics.quantiles(latencies, n=100)
        print(
            f"  latency          p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, "
            f"max {max(latencies) * 1000:.0f} ms"
        )


async def _load(port: int, clients: int, each: int) -> tuple[Counter[str], list[float], float]:
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    start = asyncio.Event()

    async def client(number: int) -> None:
        await start.wait()
        for i in range(each):
            path = PATHS[(number + i) % len(PATHS)]
            began = time.monotonic()
            try:
                # A new connection per request: what many separate browsers do.
                async with httpx.AsyncClient(timeout=30) as http:
                    response = await http.get(f"http://127.0.0.1:{port}{path}")
            except httpx.HTTPError as error:
                outcomes[type(error).__name__] += 1
                continue
            latencies.append(time.monotonic() - began)
            outcomes[
                "served" if response.status_code < 500 else f"HTTP {response.status_code}"
            ] += 1

    tasks = [asyncio.create_task(client(n)) for n in range(clients)]
    began = time.monotonic()
    start.set()
    await asyncio.gather(*tasks)
    return outcomes, latencies, time.monotonic() - began


def _wait_until_up(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not start")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    main()
