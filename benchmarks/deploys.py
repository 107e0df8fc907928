"""Benchmark: deploy the package to N emulated deployments with latency L at concurrency K.

    scripts/bench deploys [--n 1000] [--latency-ms 300] [--concurrency 50]
                          [--latency-on push|all] [--cli-subset 3]

Creates N users connected to N emulated deployments, injects latency, and deploys to all of
them with `byod.services.deploys.batch.deploy_now` (K threads in this process, as `byod_deploy`
does). Prints the wall time, the bound N x L / K, their ratio, and our CPU per deploy; then
deploys the same package with the official CLI (`npx convex deploy`) once per deployment,
sequentially, on a small subset, for comparison.

`--latency-on push` (default) delays one call per deploy (start_push), so N x L / K is the
floor; `--latency-on all` delays every call, and the floor is R times that, R being the HTTP
round trips of one deploy (printed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import time
from typing import Any

from benchmarks.harness import ROOT, cpu_seconds, process_cpu, throwaway_django

# Calls one deploy makes: start_push, wait_for_schema (once, without backfill), finish_push,
# meta:record, meta:get.
ROUND_TRIPS_PER_DEPLOY = 5


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench deploys", description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--latency-on", choices=["push", "all"], default="push")
    parser.add_argument("--cli-subset", type=int, default=3, help="0 skips the CLI run")
    options = parser.parse_args(argv)
    if options.n < 1 or options.concurrency < 1 or options.latency_ms < 0:
        parser.error("--n and --concurrency must be >= 1, --latency-ms >= 0.")
    with throwaway_django():
        bench(options)


def bench(options: argparse.Namespace) -> None:
    from accounts.models import User
    from byod.models import Connection
    from byod.services.connections import connect
    from byod.services.deploys.batch import deploy_now
    from tests.fixtures.emulator import start_emulator

    n, latency_ms, k = options.n, options.latency_ms, options.concurrency
    print(f"Starting the emulator and {n} deployments ...")
    emulator = start_emulator()
    try:
        t0 = time.monotonic()
        deployments = [emulator.create_deployment(f"bench-{i}", backfill_ms=0) for i in range(n)]
        for i, dep in enumerate(deployments):
            user = User.objects.create_user(username=f"bench{i}", password=None)
            connect(user, dep.url, dep.admin_key, actor=None)
        print(f"  set up in {time.monotonic() - t0:.1f}s")
        endpoint = "deploy2/start_push" if options.latency_on == "push" else "*"
        for dep in deployments:
            dep.set_fault(endpoint, latency_ms=latency_ms)

        print(f"Deploying to {n} deployments, latency {latency_ms} ms on {endpoint}, K={k} ...")
        emu_pid = emulator.process.pid
        cpu0, emu0, wall0 = cpu_seconds(), process_cpu(emu_pid), time.monotonic()
        outcomes = deploy_now(
            Connection.objects.select_related("user").order_by("pk"), concurrency=k
        )
        wall = time.monotonic() - wall0
        cpu = cpu_seconds() - cpu0
        emu_cpu = process_cpu(emu_pid) - emu0
        ok = sum(o.succeeded for o in outcomes)
        per_deploy = [o.seconds for o in outcomes if o.seconds is not None]
        bound = n * latency_ms / 1000 / k
        trips = 1 if options.latency_on == "push" else ROUND_TRIPS_PER_DEPLOY
        print()
        print("== byod (Python, httpx) ==")
        print(f"  deploys          {ok}/{n} succeeded")
        print(f"  wall time        {wall:.2f} s")
        print(f"  bound N*L/K      {bound:.2f} s   (N={n}, L={latency_ms} ms, K={k})")
        print(f"  ratio wall/bound {wall / bound:.2f}" if bound else "  ratio            n/a")
        if trips > 1:
            floor = bound * trips
            print(f"  floor R*N*L/K    {floor:.2f} s   (R={trips} delayed calls per deploy)")
            print(f"  ratio wall/floor {wall / floor:.2f}")
        print(f"  CPU per deploy   {cpu / n * 1000:.1f} ms (process CPU {cpu:.1f} s)")
        cores = os.cpu_count() or 1
        print(f"  emulator CPU     {emu_cpu / n * 1000:.1f} ms per deploy (Node, one process)")
        # Our deploys share one interpreter lock, so our CPU is a floor by itself too.
        floor = max(cpu, (cpu + emu_cpu) / cores)
        print(
            f"  CPU floor        {floor:.2f} s   (max of our CPU under one interpreter "
            f"lock, and our + emulator CPU over {cores} cores)"
        )
        if per_deploy:
            print(
                f"  one deploy       median {statistics.median(per_deploy):.2f} s, "
                f"max {max(per_deploy):.2f} s"
            )
        for o in [o for o in outcomes if not o.succeeded][:5]:
            print(f"  failed: {o.user}: {o.error}")
        subset = min(options.cli_subset, n)
        if subset:
            official_cli(deployments[:subset], latency_ms, per_deploy, endpoint)
    finally:
        emulator.stop()


def official_cli(
    deployments: list[Any],
    latency_ms: int,
    ours: list[float],
    endpoint: str = "deploy2/start_push",
) -> float | None:
    """`npx convex deploy` to each deployment, one after another, with the same latency (on
    `endpoint`); the mean seconds per deploy (None when the CLI could not run)."""
    project = ROOT / "byod" / "convex_project"
    npx = shutil.which("npx")
    if npx is None or not (project / "node_modules" / "convex").is_dir():
        print("== official CLI: skipped (needs npx and npm ci in byod/convex_project) ==")
        return None
    print()
    print(f"== official CLI (npx convex deploy), sequential, {len(deployments)} deployments ==")
    times: list[float] = []
    for dep in deployments:
        dep.clear_faults()
        dep.set_fault(endpoint, latency_ms=latency_ms)
        env = {
            **os.environ,
            "CONVEX_SELF_HOSTED_URL": dep.url,
            "CONVEX_SELF_HOSTED_ADMIN_KEY": dep.admin_key,
        }
        start = time.monotonic()
        done = subprocess.run(
            [npx, "convex", "deploy", "-y", "--codegen", "disable", "--typecheck", "disable"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        took = time.monotonic() - start
        status = "ok" if done.returncode == 0 else f"exit {done.returncode}"
        print(f"  {dep.name}: {took:.2f} s ({status})")
        if done.returncode == 0:
            times.append(took)
    if not times:
        return None
    mean = statistics.mean(times)
    print(f"  mean per deploy  {mean:.2f} s (sequential: N deploys take N x that)")
    if ours:
        print(f"  ours per deploy  {statistics.median(ours):.2f} s (median, under load)")
    return mean


if __name__ == "__main__":
    main()
