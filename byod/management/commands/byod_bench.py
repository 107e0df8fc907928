"""Benchmark: deploy the package to N emulated deployments with latency L at concurrency K.

    manage.py byod_bench [--n 1000] [--latency-ms 300] [--concurrency 50]
                         [--latency-on push|all] [--cli-subset 3]

Prints numbers; it is not a test. It starts the Convex emulator (tests/emulator, so it runs
from a checkout with Node), works on a throwaway SQLite database in a temporary directory
(your configured database is never touched), creates N users connected to N emulated
deployments, injects latency, and runs every deploy in this process with K threads, as
`byod_deploy` does. It prints the wall time, the bound N x L / K, their ratio, and our CPU
time per deploy; then it deploys the same package with the official CLI (`npx convex
deploy`) once per deployment, sequentially, on a small subset, for comparison.

`--latency-on push` (default) delays one call per deploy (start_push) by L, so the bound
N x L / K is the floor; `--latency-on all` delays every call, and the floor is R times
that, R being the HTTP round trips of one deploy (printed).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

ROOT = Path(settings.BASE_DIR)
# Calls one deploy makes: start_push, wait_for_schema (once, without backfill), finish_push,
# meta:record, meta:get.
ROUND_TRIPS_PER_DEPLOY = 5


class Command(BaseCommand):
    help = "Benchmark deploys to N emulated deployments with injected latency (prints numbers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--n", type=int, default=1000)
        parser.add_argument("--latency-ms", type=int, default=300)
        parser.add_argument("--concurrency", type=int, default=50)
        parser.add_argument("--latency-on", choices=["push", "all"], default="push")
        parser.add_argument("--cli-subset", type=int, default=3, help="0 skips the CLI run")
        parser.add_argument(
            "--inner",
            action="store_true",
            # the re-executed child
            help="internal: run inside the throwaway database",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["inner"]:
            self._bench(options)
            return
        # Re-run this command against a throwaway database file, so no real data is touched.
        with tempfile.TemporaryDirectory(prefix="byod-bench-") as tmp:
            env = {
                **os.environ,
                "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
                "BYOD_ALLOWED_HOSTS": "http://127.0.0.1:*",
                "DJANGO_LOG_LEVEL": "WARNING",
            }
            manage = [sys.executable, str(ROOT / "manage.py")]
            subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
            argv = [
                *manage,
                "byod_bench",
                "--inner",
                f"--n={options['n']}",
                f"--latency-ms={options['latency_ms']}",
                f"--concurrency={options['concurrency']}",
                f"--latency-on={options['latency_on']}",
                f"--cli-subset={options['cli_subset']}",
            ]
            done = subprocess.run(argv, env=env, check=False)
            if done.returncode != 0:
                raise CommandError(f"The benchmark failed (exit {done.returncode}).")

    def _bench(self, options: dict[str, Any]) -> None:
        from accounts.models import User
        from byod.management.commands.byod_deploy import run_many
        from byod.models import Connection, DeploymentTrigger
        from byod.services.connections import connect

        try:
            from tests.fixtures.emulator import start_emulator
        except ImportError as error:
            raise CommandError(
                "byod_bench runs from a checkout (it needs tests/emulator)."
            ) from error

        n, latency_ms, k = options["n"], options["latency_ms"], options["concurrency"]
        if n < 1 or k < 1 or latency_ms < 0:
            raise CommandError("--n and --concurrency must be >= 1, --latency-ms >= 0.")
        os.environ.setdefault("CONVEX_EMULATOR_EXIT_ON_STDIN_CLOSE", "1")
        say = self.stdout.write
        say(f"Starting the emulator and {n} deployments ...")
        emulator = start_emulator()
        try:
            t0 = time.monotonic()
            deployments = [
                emulator.create_deployment(f"bench-{i}", backfill_ms=0) for i in range(n)
            ]
            for i, dep in enumerate(deployments):
                user = User.objects.create_user(username=f"bench{i}", password=None)
                connect(user, dep.url, dep.admin_key, actor=None)
            say(f"  set up in {time.monotonic() - t0:.1f}s")
            endpoint = "deploy2/start_push" if options["latency_on"] == "push" else "*"
            for dep in deployments:
                dep.set_fault(endpoint, latency_ms=latency_ms)

            say(f"Deploying to {n} deployments, latency {latency_ms} ms on {endpoint}, K={k} ...")
            emu_pid = emulator.process.pid
            cpu0, emu0, wall0 = _cpu_seconds(), _process_cpu(emu_pid), time.monotonic()
            rows = run_many(
                Connection.objects.select_related("user").order_by("pk"),
                version=None,
                dry_run=False,
                concurrency=k,
                trigger=DeploymentTrigger.COMMAND,
            )
            wall = time.monotonic() - wall0
            cpu = _cpu_seconds() - cpu0
            emu_cpu = _process_cpu(emu_pid) - emu0
            ok = sum(r.status == "succeeded" for r in rows)
            per_deploy = [r.seconds for r in rows if r.seconds is not None]
            latency = latency_ms / 1000
            bound = n * latency / k
            trips = 1 if options["latency_on"] == "push" else ROUND_TRIPS_PER_DEPLOY
            say("")
            say("== byod (Python, httpx) ==")
            say(f"  deploys          {ok}/{n} succeeded")
            say(f"  wall time        {wall:.2f} s")
            say(f"  bound N*L/K      {bound:.2f} s   (N={n}, L={latency_ms} ms, K={k})")
            say(f"  ratio wall/bound {wall / bound:.2f}" if bound else "  ratio            n/a")
            if trips > 1:
                floor = bound * trips
                say(f"  floor R*N*L/K    {floor:.2f} s   (R={trips} delayed calls per deploy)")
                say(f"  ratio wall/floor {wall / floor:.2f}")
            say(f"  CPU per deploy   {cpu / n * 1000:.1f} ms (process CPU {cpu:.1f} s)")
            cores = os.cpu_count() or 1
            say(f"  emulator CPU     {emu_cpu / n * 1000:.1f} ms per deploy (Node, one process)")
            # Our deploys share one interpreter lock, so our CPU is a floor by itself too.
            floor = max(cpu, (cpu + emu_cpu) / cores)
            say(
                f"  CPU floor        {floor:.2f} s   (max of our CPU under one interpreter "
                f"lock, and our + emulator CPU over {cores} cores)"
            )
            if per_deploy:
                say(
                    f"  one deploy       median {statistics.median(per_deploy):.2f} s, "
                    f"max {max(per_deploy):.2f} s"
                )
            failed = [r for r in rows if r.status != "succeeded"][:5]
            for r in failed:
                say(f"  failed: {r.user}: {r.error}")

            subset = min(options["cli_subset"], n)
            if subset:
                self._cli(deployments[:subset], latency_ms, per_deploy)
        finally:
            emulator.stop()

    def _cli(self, deployments: list[Any], latency_ms: int, ours: list[float]) -> None:
        say = self.stdout.write
        project = ROOT / "byod" / "convex_project"
        npx = shutil.which("npx")
        if npx is None or not (project / "node_modules" / "convex").is_dir():
            say("== official CLI: skipped (needs npx and npm ci in byod/convex_project) ==")
            return
        say("")
        say(f"== official CLI (npx convex deploy), sequential, {len(deployments)} deployments ==")
        times: list[float] = []
        for dep in deployments:
            dep.clear_faults()
            dep.set_fault("deploy2/start_push", latency_ms=latency_ms)
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
            say(f"  {dep.name}: {took:.2f} s ({status})")
            if done.returncode == 0:
                times.append(took)
        if times:
            mean = statistics.mean(times)
            say(f"  mean per deploy  {mean:.2f} s (sequential: N deploys take N x that)")
            if ours:
                say(f"  ours per deploy  {statistics.median(ours):.2f} s (median, under load)")


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) another process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
