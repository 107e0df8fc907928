"""`scripts/run` (the README's first command) really serves pages and stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def processes_mentioning(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline:
            found.append(f"{entry.name}: {cmdline}")
    return found


@pytest.mark.slow
def test_the_run_command_serves_pages_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    addr = f"127.0.0.1:{port}"
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
        "BYOD_LOCAL_ENV_FILE": str(tmp_path / "local.env"),
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
    try:
        body = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://{addr}/", timeout=2)
                body = response.text
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                time.sleep(0.5)
        assert "Keep your chat content in your own database" in body
        assert len(processes_mentioning("db_worker")) >= 1
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, output
    assert "Created the demo operator. Log in at /admin/ as operator / " in output
    assert "Stopped the web server and the worker." in output
    time.sleep(0.5)
    assert processes_mentioning(addr) == []
    assert [p for p in processes_mentioning("db_worker") if str(tmp_path) in p] == []
