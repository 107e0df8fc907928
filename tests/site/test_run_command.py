"""`scripts/run` (the README's first command) really serves pages and stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.fixtures.metrics import TOKEN
from tests.fixtures.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def processes_mentioning(marker: str) -> list[str]:
    """Live processes with `marker` in their command line or environment, as "pid: cmdline"."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = (entry / "environ").read_bytes().decode(errors="replace")
        except OSError:  # gone meanwhile, or another user's
            continue
        if marker in cmdline or marker in environ:
            found.append(f"{entry.name}: {cmdline}")
    return found


@pytest.mark.slow
def test_the_run_command_serves_pages_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    addr = f"127.0.0.1:{port}"
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    stale = metrics / "counter_1.db"  # an earlier run's: a new process may get its pid
    stale.write_bytes(b"old")
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
        "BYOD_LOCAL_ENV_FILE": str(tmp_path / "local.env"),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "BYOD_METRICS_TOKEN": TOKEN,
    }
    proc = subprocess.Popen(
        ["scripts/run", addr],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )

    # This run's processes (the server, the worker, the scheduler) have its database file in
    # their environment; other runs on the same machine do not.
    def workers() -> list[str]:
        mine = processes_mentioning(str(tmp_path))
        return [p for p in mine if "db_worker" in p] and [p for p in mine if "run_scheduler" in p]

    def home_page() -> str | None:
        try:
            return httpx.get(f"http://{addr}/", timeout=2).text
        except httpx.TransportError:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            return None

    try:
        body = wait_for(home_page, timeout=90, interval=0.5, what=f"a page from {addr}")
        assert "Keep your chat content in your own database" in body
        wait_for(workers, timeout=30, what="the worker and the scheduler of scripts/run")
        # Metrics: every process shares the directory, emptied before they started.
        assert not stale.exists()
        sharing = " ".join(processes_mentioning(f"PROMETHEUS_MULTIPROC_DIR={metrics}"))
        for name in ("gunicorn", "db_worker", "run_scheduler"):
            assert name in sharing, sharing
        scraped = httpx.get(
            f"http://{addr}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
        )
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain; version=")
        assert httpx.get(f"http://{addr}/metrics", timeout=5).status_code == 404
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, output
    assert "Created the demo operator. Log in at /admin/ as operator / " in output
    assert "Stopped the web server, the worker and the scheduler." in output
    # serve waits for its children before it exits: by now none may be left, not even exiting.
    assert processes_mentioning(addr) == []
    assert processes_mentioning(str(tmp_path)) == []  # the worker and the scheduler too
