"""Run the web server (gunicorn), the task workers and the scheduler together; Ctrl-C (or
SIGTERM) stops them all.

For the quick start and for small single-machine installs: the same WSGI server production
uses (Django's development server dropped requests under load), static files through
WhiteNoise. In production run gunicorn, `manage.py db_worker` and `manage.py run_scheduler`
under your process manager instead (see the README).

A task worker or the scheduler that exits (a crash, a kill, the database away for longer than
it waits) is started again, after a pause that doubles from 1 s to 60 s while it keeps exiting
soon after its start, with a line saying which one, how it ended and when it comes back: the
site stays up. Everything stops on Ctrl-C or SIGTERM, or when gunicorn itself exits.

gunicorn's control socket (`gunicornc`) lives in this instance's runtime directory under
`var/run/`, named for the address it serves, so two instances on one machine never share one
(gunicorn's default is one path per user: `$XDG_RUNTIME_DIR/gunicorn.ctl` or `~/.gunicorn/`).

Metrics: the children share one prometheus_client multiprocess directory, so a scrape of any
web worker adds up every process's counts: PROMETHEUS_MULTIPROC_DIR if set (emptied first), else
a new temporary directory, removed at the end. gunicorn marks its exited workers dead
(`byodsite.gunicorn_config`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from byod.metrics import MULTIPROCESS_DIR, prepare_directory

STOP_GRACE_SECONDS = 10
FIRST_RESTART_SECONDS, MAX_RESTART_SECONDS = 1.0, 60.0
# A child that ran this long before it exited starts again after the first pause.
STEADY_SECONDS = 60.0
# Unix socket paths are limited to about 108 bytes; a longer one goes to a temporary directory.
SOCKET_PATH_LIMIT = 100


@dataclass
class Child:
    """One process `serve` runs, and when to start it again if it exited."""

    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    pause: float = FIRST_RESTART_SECONDS
    restart_at: float | None = None


class Command(BaseCommand):
    help = "Run the web server, the task workers and the scheduler together until interrupted."

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
        runtime = _runtime_dir(addrport)
        gunicorn = Child(
            "gunicorn",
            [
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
                f"--control-socket={runtime / 'gunicorn.ctl'}",
            ],
        )
        others = [Child("db_worker", [*manage, "db_worker", "--no-reload"]) for _ in range(workers)]
        if not no_scheduler:  # one scheduler; it enqueues, the workers run
            others.append(Child("run_scheduler", [*manage, "run_scheduler"]))
        chosen = os.environ.get(MULTIPROCESS_DIR)
        metrics_dir = Path(chosen or tempfile.mkdtemp(prefix="byod-metrics-"))
        prepare_directory(metrics_dir)
        environ = {**os.environ, MULTIPROCESS_DIR: str(metrics_dir)}
        stopping = False

        def request_stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        children = [gunicorn, *others]
        try:
            for child in children:
                self._start(child, environ)
            while not stopping:
                if gunicorn.process is not None and gunicorn.process.poll() is not None:
                    break
                for child in others:
                    self._look_after(child, environ)
                time.sleep(0.2)
        finally:
            self._stop(children)
            if not chosen:
                shutil.rmtree(metrics_dir, ignore_errors=True)
            shutil.rmtree(runtime, ignore_errors=True)
        if not stopping and gunicorn.process is not None:
            raise CommandError(f"gunicorn exited with {gunicorn.process.returncode}.")
        self.stdout.write("Stopped the web server, the worker and the scheduler.")

    def _start(self, child: Child, environ: dict[str, str]) -> None:
        # Each child gets its own session so that stopping is our decision: we signal every
        # child's whole group and wait for it, leaving no stray processes.
        child.process = subprocess.Popen(child.command, start_new_session=True, env=environ)
        child.started_at, child.restart_at = time.monotonic(), None
        self.stdout.write(f"Started {child.name} (pid {child.process.pid}).")

    def _look_after(self, child: Child, environ: dict[str, str]) -> None:
        """Start `child` again once its pause is over, if it exited."""
        now = time.monotonic()
        if child.restart_at is not None:
            if now >= child.restart_at:
                self._start(child, environ)
            return
        process = child.process
        if process is None or process.poll() is None:
            return
        if now - child.started_at >= STEADY_SECONDS:
            child.pause = FIRST_RESTART_SECONDS
        child.restart_at = now + child.pause
        self.stderr.write(
            f"{child.name} (pid {process.pid}) {_ended(process.returncode)}; "
            f"starting it again in {child.pause:g} s."
        )
        child.pause = min(child.pause * 2, MAX_RESTART_SECONDS)

    def _stop(self, children: list[Child]) -> None:
        running = [c.process for c in children if c.process is not None]
        for process in running:
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()


def _ended(returncode: int) -> str:
    if returncode < 0:
        return f"was killed by {signal.Signals(-returncode).name}"
    return f"exited with {returncode}"


def _runtime_dir(addrport: str) -> Path:
    """This instance's runtime directory: `var/run/<address>/`, or a new temporary directory
    when that path is too long for a Unix socket."""
    name = re.sub(r"[^A-Za-z0-9.]+", "-", addrport).strip("-") or "default"
    path = Path(settings.VAR_DIR) / "run" / name
    if len(str(path / "gunicorn.ctl")) > SOCKET_PATH_LIMIT:
        return Path(tempfile.mkdtemp(prefix="byod-run-"))
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _signal_group(child: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(child.pid, signum)
    except ProcessLookupError:
        pass
