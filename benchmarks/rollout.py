"""Benchmark: a real rollout through the task queue, M worker processes, N deployments.

    scripts/bench rollout [--n 1000] [--latency-ms 300] [--concurrency 50] [--workers M]
                          [--latency-on push|all] [--cli-subset 3] [--sql-sample 20]

SQLite (a temporary file) by default; with DATABASE_URL=postgres://... a temporary database
on that server. Creates N users connected to N fresh emulated deployments, injects latency L
(on `start_push` only, or on every call), starts M `manage.py db_worker` processes and a
rollout of the current version to all N with K deploys in flight, and waits for it to
complete. Prints the wall time; the bound N x R x L / K (R: calls per deploy that carry the
latency); the CPU floor (our CPU plus the emulator's, over the cores); wall / max(bound, floor);
SQL statements per deploy (counted in this process on a small separate rollout: the workers
run the same code); CPU per deploy; and the official CLI, one deploy after another, on a subset.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from typing import Any

from benchmarks.deploys import official_cli
from benchmarks.harness import (
    ROOT,
    cpu_seconds,
    machine_busy_seconds,
    process_cpu,
    throwaway_django,
)

# Calls of one deploy to a fresh deployment: meta:get (what it holds), start_push,
# wait_for_schema (once: no index backfill), finish_push, meta:record, meta:get.
CALLS_PER_DEPLOY = 6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench rollout", description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=50, help="K: deploys in flight")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="M processes")
    parser.add_argument("--latency-on", choices=["push", "all"], default="push")
    parser.add_argument("--cli-subset", type=int, default=3, help="0 skips the CLI run")
    parser.add_argument("--sql-sample", type=int, default=20, help="deploys counted for SQL")
    options = parser.parse_args(argv)
    if min(options.n, options.concurrency, options.workers) < 1 or options.latency_ms < 0:
        parser.error("--n, --concurrency and --workers must be >= 1, --latency-ms >= 0.")
    server = os.environ.get("DATABASE_URL")
    database = server if server and server.startswith("postgres") else None
    with throwaway_django(database) as url:
        print(f"Database: {'PostgreSQL' if database else 'SQLite'} ({url.split('/')[-1]})")
        bench(options)


def make_fleet(emulator: Any, n: int, prefix: str) -> list[Any]:
    """n users connected to n fresh deployments; the deploy each connect queued is cancelled
    (the rollout deploys them)."""
    from django_tasks_db.models import DBTaskResult

    from accounts.models import User
    from byod import transitions
    from byod.services.connections import connect
    from byod.services.deploys.run import deploy_task

    deployments = [emulator.create_deployment(f"{prefix}-{i}", backfill_ms=0) for i in range(n)]
    for i, dep in enumerate(deployments):
        user = User.objects.create_user(username=f"{prefix}{i}", password=None)
        connection = connect(user, dep.url, dep.admin_key, actor=None)
        transitions.mark_deploy_cancelled(connection.deployments.get(), reason="benchmark")
    # The task rows of those cancelled deploys would keep the workers busy (each finds its
    # deploy cancelled) before they reach the rollout: not part of what is measured.
    DBTaskResult.objects.filter(task_path=deploy_task.module_path).delete()
    return deployments


def sql_per_deploy(emulator: Any, n: int, batch: int) -> float:
    """Statements one deploy of a rollout costs, counted here on a rollout of n deploys (the
    claims, `batch` deploys each as the drivers of the run claim them, and the attempts)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from byod.services.deploys import lease
    from byod.services.deploys.run import carry_on
    from byod.services.rollouts import control as rollouts
    from byod.services.rollouts import driver as rollout_driver

    make_fleet(emulator, n, "sql")
    rollout = rollouts.start(
        rollouts.PlanOptions(wave_size=n, max_in_flight=n, drivers=1, canary_percent=0)
    )
    owner = lease.new_owner()
    done = 0
    with CaptureQueriesContext(connection) as seen:
        while done < n:
            _, started = rollout_driver.claim(rollout.pk, batch, owner)
            if not started:
                break
            for deployment in started:
                carry_on(deployment, owner)
            done += len(started)
    rollout_driver.claim(rollout.pk, n, owner)  # completes it
    return len(seen.captured_queries) / max(1, done)


def bench(options: argparse.Namespace) -> None:
    from byod.models import Rollout
    from byod.services.rollouts import control as rollouts
    from byod.services.rollouts.driver import claim_batch
    from byod.services.rollouts.progress import progress
    from tests.fixtures.emulator import start_emulator

    n, latency_ms, k, m = options.n, options.latency_ms, options.concurrency, options.workers
    emulator = start_emulator()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        # What each driver claims at a time (rollout_driver.drive).
        batch = claim_batch(math.ceil(k / m))
        sql = sql_per_deploy(emulator, options.sql_sample, batch) if options.sql_sample else None
        print(f"Setting up {n} deployments ...")
        t0 = time.monotonic()
        deployments = make_fleet(emulator, n, "bench")
        print(f"  set up in {time.monotonic() - t0:.1f}s")
        endpoint = "deploy2/start_push" if options.latency_on == "push" else "*"
        for dep in deployments:
            dep.set_fault(endpoint, latency_ms=latency_ms)
        workers = [
            subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--interval", "0.05"],
                cwd=ROOT,
                env={**os.environ, "DJANGO_SETTINGS_MODULE": "byodsite.settings"},
            )
            for _ in range(m)
        ]
        time.sleep(3)  # let the workers start (their start-up CPU is not the rollout's)
        pids = [w.pid for w in workers] + [os.getpid()]
        emu_pid = emulator.process.pid
        cpu0 = [process_cpu(p) for p in pids[:-1]] + [cpu_seconds()]
        emu0 = process_cpu(emu_pid)
        machine0 = machine_busy_seconds()
        print(f"Rollout to {n} deployments: latency {latency_ms} ms on {endpoint}, K={k}, M={m}")
        wall0 = time.monotonic()
        rollout = rollouts.start(
            rollouts.PlanOptions(wave_size=n, max_in_flight=k, drivers=m, canary_percent=0),
        )
        while Rollout.objects.get(pk=rollout.pk).status == "running":
            time.sleep(0.05)
        wall = time.monotonic() - wall0
        cpu1 = [process_cpu(p) for p in pids[:-1]] + [cpu_seconds()]
        ours = sum(b - a for a, b in zip(cpu0, cpu1, strict=True))
        emu_cpu = process_cpu(emu_pid) - emu0
        machine = machine_busy_seconds() - machine0
        seen = progress(rollout)
        report(options, seen, wall, ours, emu_cpu, sql, batch, machine)
        subset = min(options.cli_subset, n)
        if subset:
            cli = official_cli(deployments[:subset], latency_ms, [], endpoint)
            if cli:
                print(f"  whole rollout vs CLI one after another: {n * cli / wall:.0f}x faster")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        emulator.stop()


def report(
    options: argparse.Namespace,
    seen: Any,
    wall: float,
    ours: float,
    emu_cpu: float,
    sql: float | None,
    batch: int,
    machine: float,
) -> None:
    n, latency_ms, k = options.n, options.latency_ms, options.concurrency
    calls = 1 if options.latency_on == "push" else CALLS_PER_DEPLOY
    bound = n * calls * latency_ms / 1000 / k
    cores = os.cpu_count() or 1
    floor = (ours + emu_cpu) / cores
    print()
    print("== rollout on the task workers ==")
    print(f"  deploys          {seen.succeeded}/{n} succeeded, {seen.failed} failed")
    print(f"  wall time        {wall:.2f} s")
    print(f"  bound N*R*L/K    {bound:.2f} s   (N={n}, R={calls}, L={latency_ms} ms, K={k})")
    print(f"  CPU floor        {floor:.2f} s   ((ours {ours:.1f} s + emulator {emu_cpu:.1f} s)")
    print(f"                              / {cores} cores)")
    print(f"  wall / max(bound, floor)  {wall / max(bound, floor, 1e-9):.2f}")
    # A database server on this machine (PostgreSQL) uses the same cores: the machine's floor.
    whole = machine / cores
    print(f"  machine CPU      {machine:.1f} s, all processes (database server included)")
    print(f"  wall / max(bound, machine CPU / {cores})  {wall / max(bound, whole, 1e-9):.2f}")
    print(f"  our CPU          {ours / n * 1000:.1f} ms per deploy (workers + this process)")
    print(f"  emulator CPU     {emu_cpu / n * 1000:.1f} ms per push (Node, one process)")
    if sql is not None:
        print(f"  SQL statements   {sql:.1f} per deploy (claims of {batch}, BEGIN/COMMIT counted)")
    slow = [s.seconds for s in seen.slowest]
    if slow:
        print(f"  slowest deploys  {', '.join(f'{s:.2f} s' for s in slow)}")
    if seen.failures:
        print(f"  failures         {seen.failures}")


if __name__ == "__main__":
    main()
