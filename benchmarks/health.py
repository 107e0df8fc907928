"""Benchmark: a health sweep of N emulated deployments, spread over W worker processes.

    scripts/bench health [--n 10000] [--workers 3] [--batch-size 250] [--concurrency 32]
                         [--database postgres://postgres@127.0.0.1:5432/postgres]
                         [--rounds 2] [--drift 0.01]

Sets up N users connected to N emulated deployments that run our package (one deployed for
real, the others started as copies of it by the emulator), with a fraction of them drifted.
Then, per round: makes every connection due, starts the sweep (claims in batches, one task per
batch) and W `manage.py db_worker` processes, and waits until every connection was checked.
Prints the wall time against the 60 s target, the health found, CPU of the workers and of the
emulator, and SQL statements per connection: the sweep's, and one batch's (run here, counted
with Django's query capture) at two batch sizes, to show the count does not grow with N.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.harness import ROOT, cpu_seconds, process_cpu, throwaway_django

TARGET_SECONDS = 60.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench health", description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="the first finds cold runtimes")
    parser.add_argument("--drift", type=float, default=0.01, help="fraction pushed over")
    parser.add_argument("--database", help="a PostgreSQL server URL (default: SQLite)")
    options = parser.parse_args(argv)
    if options.n < 2 or options.workers < 1 or options.batch_size < 1:
        parser.error("--n >= 2, --workers >= 1, --batch-size >= 1")
    os.environ["BYOD_HEALTH_BATCH_SIZE"] = str(options.batch_size)
    os.environ["BYOD_HEALTH_CONCURRENCY"] = str(options.concurrency)
    os.environ["BYOD_HEALTH_TIMEOUT_SECONDS"] = "20"
    with throwaway_django(options.database) as url:
        bench(options, url)


def bench(options: argparse.Namespace, database_url: str) -> None:
    from tests.fixtures.emulator import start_emulator

    n = options.n
    print(f"Database: {database_url.split('://')[0]}; starting the emulator ...")
    emulator = start_emulator()
    try:
        t0 = time.monotonic()
        drifted = setup(emulator, n, options.drift)
        print(f"  {n} deployments and connections set up in {time.monotonic() - t0:.1f}s")
        for round_ in range(1, options.rounds + 1):
            sweep_round(round_, options, emulator.process.pid, drifted)
        statements(options.batch_size)
    finally:
        emulator.stop()


def setup(emulator: Any, n: int, drift: float) -> int:
    """N deployments running our package and N connections to them; returns how many drift."""
    from accounts.models import User
    from byod.keys import seal_deploy_key
    from byod.models import Connection
    from byod.services.connections import connect
    from byod.services.deploys.run import run_deploy

    template = emulator.create_deployment("bench-template", backfill_ms=0)
    owner = User.objects.create_user(username="bench0", password=None)
    first = connect(owner, template.url, template.admin_key, actor=None)
    run_deploy(first.deployments.get().pk)
    first.refresh_from_db()

    def copy(i: int) -> tuple[str, str, str]:
        made = emulator.create_deployment(f"bench-{i}", copy_of="bench-template")
        return made.name, made.url, made.admin_key

    with ThreadPoolExecutor(max_workers=16) as pool:
        copies = list(pool.map(copy, range(1, n)))
    users = User.objects.bulk_create(
        [User(username=f"bench{i}", email=f"bench{i}@example.com") for i in range(1, n)],
        batch_size=1000,
    )
    Connection.objects.bulk_create(
        [
            Connection(
                user=user,
                url=url,
                deployment_name=name,
                key_ciphertext=(sealed := seal_deploy_key(key, owner=user.external_id)).ciphertext,
                key_id=sealed.key_id,
                status="connected",
                deployed_version=first.deployed_version,
                deployed_package_hash=first.deployed_package_hash,
            )
            for user, (name, url, key) in zip(users, copies, strict=True)
        ],
        batch_size=1000,
    )
    drifted = int((n - 1) * drift)
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda c: emulator_dep(emulator, c).push_foreign(), copies[:drifted]))
    return drifted


def emulator_dep(emulator: Any, entry: tuple[str, str, str]) -> Any:
    from tests.fixtures.emulator import EmulatorDeployment

    name, url, key = entry
    return EmulatorDeployment(name=name, url=url, admin_key=key, _control=emulator._control)


def sweep_round(round_: int, options: argparse.Namespace, emulator_pid: int, drifted: int) -> None:
    from django.db.models import Count
    from django.utils import timezone

    from byod.models import Connection
    from byod.services.health import sweep

    n = options.n
    Connection.objects.update(next_check_at=None, check_claim="")
    started_at = timezone.now()
    emu0 = process_cpu(emulator_pid)
    wall0 = time.monotonic()
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay"],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(options.workers)
    ]
    try:
        cpu0 = cpu_seconds()
        claims = sweep()
        sweep_cpu = cpu_seconds() - cpu0
        done = 0
        while done < n:
            time.sleep(0.25)
            done = Connection.objects.filter(last_check_at__gte=started_at).count()
            if time.monotonic() - wall0 > 20 * TARGET_SECONDS:
                print(f"  gave up: {done}/{n} checked")
                break
        wall = time.monotonic() - wall0
        worker_cpu = sum(process_cpu(w.pid) for w in workers)
    finally:
        for w in workers:
            w.terminate()
        errors = [w.communicate(timeout=30)[1] for w in workers]
    emu_cpu = process_cpu(emulator_pid) - emu0
    health = dict(
        Connection.objects.values_list("health").annotate(n=Count("id")).order_by("health")
    )
    reasons = dict(
        Connection.objects.exclude(health_reason="")
        .values_list("health_reason")
        .annotate(n=Count("id"))
        .order_by("health_reason")
    )
    print()
    print(f"== round {round_}: {n} connections, {options.workers} workers, batches of "
          f"{options.batch_size}, {options.concurrency} probes at once per worker ==")  # fmt: skip
    print(f"  wall time        {wall:.1f} s (target {TARGET_SECONDS:.0f} s): "
          f"{'met' if wall <= TARGET_SECONDS else 'MISSED'}")  # fmt: skip
    print(f"  throughput       {n / wall:.0f} connections/s; {len(claims)} batches")
    print(f"  health           {json.dumps(health)}; reasons {json.dumps(reasons)}")
    print(f"  expected drift   {drifted}")
    print(f"  CPU              workers {worker_cpu:.1f} s ({worker_cpu / n * 1000:.2f} ms per "
          f"check), emulator {emu_cpu:.1f} s, sweep {sweep_cpu:.2f} s")  # fmt: skip
    for text in errors:
        if "Traceback" in text:
            print("  a worker failed:\n" + text[-2000:])


def statements(batch_size: int) -> None:
    """SQL statements of the sweep and of one batch, counted here, at two batch sizes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    from byod.models import Connection
    from byod.services.health import check_batch, sweep

    print()
    print("== SQL statements per connection (counted in this process) ==")
    for size in sorted({max(1, batch_size // 5), batch_size}):
        Connection.objects.update(next_check_at=None, check_claim="")
        # override_settings, not an assignment: byod.conf rebuilds on its signal.
        with override_settings(BYOD_HEALTH_BATCH_SIZE=size):
            with CaptureQueriesContext(connection) as swept:
                claims = sweep(enqueue=False)
        claimed = Connection.objects.exclude(check_claim="").count()
        with CaptureQueriesContext(connection) as batch:
            checked = check_batch(claims[0]).checked
        Connection.objects.update(check_claim="")
        print(f"  batch size {size:>4}: sweep {len(swept) / claimed:.3f} per connection "
              f"({len(swept)} for {claimed}); one batch {len(batch) / checked:.3f} per "
              f"connection ({len(batch)} for {checked})")  # fmt: skip


if __name__ == "__main__":
    main()
