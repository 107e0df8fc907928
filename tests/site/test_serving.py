"""`manage.py serve` (what scripts/run starts) serves with a production WSGI server, and static
files with WhiteNoise when DEBUG is off, after collectstatic."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def first_answer(url: str, proc: subprocess.Popen[str], timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            assert proc.poll() is None, proc.communicate()[0]
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


@pytest.mark.parametrize("debug", ["0", "1"])
def test_serve_uses_a_wsgi_server_and_serves_static_files(tmp_path: Path, debug: str) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "byodsite.settings",
        "DJANGO_DEBUG": debug,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    if debug == "0":
        subprocess.run(
            [*manage, "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
        )
    port = free_port()
    proc = subprocess.Popen(
        [*manage, "serve", f"127.0.0.1:{port}", "--workers", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        home = first_answer(f"http://127.0.0.1:{port}/", proc)
        assert home.status_code == 200
        assert home.headers.get("server", "").startswith("gunicorn")
        css = httpx.get(f"http://127.0.0.1:{port}/static/css/site.css", timeout=5)
        assert css.status_code == 200 and "text/css" in css.headers["content-type"]
        os.killpg(proc.pid, signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, output
