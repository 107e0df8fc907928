"""Benchmark: a data migration of N documents on one deployment, at several batch sizes.

    scripts/bench migrate [--documents 50000] [--batch-sizes 100,500] [--latency-ms 0]

For each batch size: a fresh emulated deployment runs the real package's v1, gets N v1
conversations (no isArchived / isPinned), and is upgraded to v2 through the deploy service,
as a worker does it: expanded schema, the `v2:conversation-flags` migration batch after batch,
v2's schema. Prints documents migrated per second, our CPU per batch (this process: the HTTP
client, saving progress, the lease) and the emulator's, and the wall time of the migration
and of the whole deploy. `--latency-ms` delays every mutation (each batch is one) by that much,
like the round trip to a Convex deployment far away.

The emulator runs the batches with convex-test, which scans and sorts the whole table for each
page; a Convex deployment reads a page through an index, so the emulator's share is not what
Convex would spend.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from benchmarks.harness import cpu_seconds, process_cpu, throwaway_django

INSERT_CHUNK = 10_000
NAME = "v2:conversation-flags"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench migrate", description=__doc__)
    parser.add_argument("--documents", type=int, default=50_000)
    parser.add_argument("--batch-sizes", default="100,500", help="comma-separated")
    parser.add_argument("--latency-ms", type=int, default=0)
    options = parser.parse_args(argv)
    sizes = [int(s) for s in options.batch_sizes.split(",") if s.strip()]
    if options.documents < 1 or not sizes or min(sizes) < 1 or options.latency_ms < 0:
        parser.error("--documents and batch sizes must be >= 1, --latency-ms >= 0.")
    with throwaway_django():
        bench(options.documents, sizes, options.latency_ms)


def bench(documents: int, sizes: list[int], latency_ms: int) -> None:
    from tests.fixtures.emulator import start_emulator

    print(f"Migrating {documents:,} documents at batch sizes {sizes}, latency {latency_ms} ms")
    emulator = start_emulator()
    rows = []
    try:
        for size in sizes:
            rows.append(one_run(emulator, documents, size, latency_ms))
    finally:
        emulator.stop()
    print()
    header = (
        "batch",
        "docs/s",
        "batches",
        "our CPU/batch",
        "emulator CPU/batch",
        "migration",
        "whole deploy",
    )
    lines = [header]
    for r in rows:
        lines.append(
            (
                str(r["size"]),
                f"{r['docs_per_s']:,.0f}",
                str(r["batches"]),
                f"{r['cpu_per_batch'] * 1000:.1f} ms",
                f"{r['emu_cpu_per_batch'] * 1000:.1f} ms",
                f"{r['migration_s']:.1f} s",
                f"{r['deploy_s']:.1f} s",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)))


def one_run(emulator: Any, documents: int, size: int, latency_ms: int) -> dict[str, Any]:
    from django.test import override_settings

    from accounts.models import User
    from byod.models import MigrationRun
    from byod.services.connections import connect
    from byod.services.deploys.run import request_deploy, run_deploy

    dep = emulator.create_deployment(f"migrate-{size}-{time.monotonic_ns()}", backfill_ms=0)
    user = User.objects.create_user(username=dep.name[:150], password=None)
    connection = connect(user, dep.url, dep.admin_key, actor=None)
    connection.deployments.get().delete()  # connecting queued the current version: start at v1
    first = request_deploy(connection, trigger="command", version=1)
    run_deploy(first.pk)
    t0 = time.monotonic()
    for start in range(0, documents, INSERT_CHUNK):
        chunk = range(start, min(documents, start + INSERT_CHUNK))
        dep.insert_many(
            "conversations",
            [{"userId": f"u{i % 50}", "createdAt": i, "updatedAt": i} for i in chunk],
        )
    print(f"  batch {size}: {documents:,} v1 documents loaded in {time.monotonic() - t0:.1f}s")
    if latency_ms:
        dep.set_fault("mutation", latency_ms=latency_ms)
    upgrade = request_deploy(connection, trigger="command", version=2)
    cpu0, emu0, wall0 = cpu_seconds(), process_cpu(emulator.process.pid), time.monotonic()
    with override_settings(BYOD_MIGRATION_BATCH_SIZE=size):  # byod.conf follows the signal
        run_deploy(upgrade.pk)
    deploy_s = time.monotonic() - wall0
    cpu = cpu_seconds() - cpu0
    emu_cpu = process_cpu(emulator.process.pid) - emu0
    upgrade.refresh_from_db()
    if upgrade.status != "succeeded":
        raise SystemExit(f"the upgrade did not succeed: {upgrade.error_message}\n{upgrade.log}")
    run = MigrationRun.objects.get(deployment=upgrade, name=NAME)
    assert run.duration is not None and run.processed == documents
    migration_s = run.duration.total_seconds()
    batches = sum(r.batches for r in MigrationRun.objects.filter(deployment=upgrade))
    emulator.delete_deployment(dep.name)
    return {
        "size": size,
        "batches": run.batches,
        "docs_per_s": documents / migration_s,
        "cpu_per_batch": cpu / max(1, batches),
        "emu_cpu_per_batch": emu_cpu / max(1, batches),
        "migration_s": migration_s,
        "deploy_s": deploy_s,
    }


if __name__ == "__main__":
    main()
