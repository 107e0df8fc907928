"""Run the web server (gunicorn), the task worker and the scheduler together; Ctrl-C (or SIGTERM)
stops them all.

For the quick start and for small single-machine installs: the same WSGI server production
uses (Django's development server dropped requests under load), static files through
WhiteNoise. In production run gunicorn, `manage.py db_worker` and `manage.py run_scheduler`
under your process manager instead (see the README).

Metrics: the children share one prometheus_client multiprocess directory, so a scrape of any
web worker adds up every process's counts: PROMETHEUS_MULTIPROC_DIR if set (emptied first), else
a new temporary directory, removed at the end. gunicorn marks its exited workers dead
(`byodsite.gunicorn_config`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from byod.metrics import MULTIPROCESS_DIR, prepare_directory

STOP_GRACE_SECONDS = 10


class Command(BaseCommand):
    help = "Run the web server and the task worker together until interrupted."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=1, help="task worker processes")
        parser.add_argument("--web-processes", type=int, default=2, help="gunicorn workers")
        parser.add_argument("--web-threads", type=int, default=8, help="threads per worker")
        parser.add_argument(
            "--no-scheduler", action="store_true", help="no periodic health checks and mails"
        )

    def handle(
        self,
        *args: Any,
        addrport: str,
        workers: int,
        web_processes: int,
        web_threads: int,
        no_scheduler: bool = False,
        **options: Any,
    ) -> None:
        manage = [sys.executable, "manage.py"]
        gunicorn = [
            sys.executable,
            "-m",
            "gunicorn",
            "byodsite.wsgi:application",
            "--config=python:byodsite.gunicorn_config",
            f"--bind={addrport}",
            f"--workers={web_processes}",
            "--worker-class=gthread",
            f"--threads={web_threads}",
            "--access-logfile=-",
        ]
        commands = [gunicorn] + [[*manage, "db_worker", "--no-reload"] for _ in range(workers)]
        names = ["gunicorn"] + ["db_worker"] * workers
        if not no_scheduler:  # one scheduler; it enqueues, the workers run
            commands.append([*manage, "run_scheduler"])
            names.append("run_scheduler")
        chosen = os.environ.get(MULTIPROCESS_DIR)
        metrics_dir = Path(chosen or tempfile.mkdtemp(prefix="byod-metrics-"))
        prepare_directory(metrics_dir)
        environ = {**os.environ, MULTIPROCESS_DIR: str(metrics_dir)}
        # Each child gets its own session so that stopping is our decision: we signal
        # every child's whole group and wait for it, leaving no stray processes.
        children = [subprocess.Popen(cmd, start_new_session=True, env=environ) for cmd in commands]
        stopping = False

        def request_stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        failed: subprocess.Popen[bytes] | None = None
        try:
            while not stopping:
                for child in children:
                    if child.poll() is not None:
                        failed = child
                        stopping = True
                time.sleep(0.2)
        finally:
            self._stop(children)
            if not chosen:
                shutil.rmtree(metrics_dir, ignore_errors=True)
        if failed is not None:
            name = dict(zip(children, names, strict=True))[failed]
            raise CommandError(f"{name} exited with {failed.returncode}.")
        self.stdout.write("Stopped the web server, the worker and the scheduler.")

    def _stop(self, children: list[subprocess.Popen[bytes]]) -> None:
        for child in children:
            if child.poll() is None:
                _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
                child.wait()


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:
        pass
