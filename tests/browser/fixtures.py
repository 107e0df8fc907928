"""Fixtures for browser tests: a file-based test database, a real task worker, Chromium.

Why a file-based SQLite test database: the browser tests run the deploy for real, in
``manage.py db_worker`` started as a second process (the same worker production runs). A second
process cannot see pytest-django's default in-memory SQLite test database, so when browser
tests are part of the session the test database is a file in a temporary directory instead
(WAL mode and IMMEDIATE transactions come from the project settings). With PostgreSQL
(DATABASE_URL) nothing changes: the worker connects to the same test database by name.
The pages run on ``live_server`` (a transactional database: rows are committed, so the worker
sees them); the worker is stopped before pytest-django flushes the tables.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.fixtures.people import PASSWORD
from tests.fixtures.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-results" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
STARTUP_TIMEOUT_S = 60
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _session_has_browser_tests(session: pytest.Session) -> bool:
    return any(item.get_closest_marker("browser") for item in session.items)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    django_db_modify_db_settings_parallel_suffix: None,
) -> None:
    """Overrides pytest-django's: a file-based SQLite test DB when a worker process needs it."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        return
    if not _session_has_browser_tests(request.session):
        return
    test = db.setdefault("TEST", {})
    if not test.get("NAME") or ":memory:" in str(test.get("NAME")):
        test["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def database_url() -> str:
    """The URL of the test database this process uses, for a second process."""
    from django.db import connection

    conf = connection.settings_dict
    if conf["ENGINE"] == "django.db.backends.sqlite3":
        name = str(conf["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("A worker process cannot share an in-memory SQLite database.")
        return f"sqlite:///{name}"
    if "postgresql" in conf["ENGINE"]:
        user = quote(conf.get("USER") or "")
        password = quote(conf.get("PASSWORD") or "")
        auth = f"{user}:{password}@" if user else ""
        host = conf.get("HOST") or "localhost"
        port = f":{conf['PORT']}" if conf.get("PORT") else ""
        return f"postgres://{auth}{host}{port}/{quote(str(conf['NAME']))}"
    raise RuntimeError(f"No worker support for {conf['ENGINE']}")


class Worker:
    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def output(self) -> str:
        return self.log_text()[-5000:]


@pytest.fixture
def task_worker(live_server: Any, tmp_path: Path) -> Iterator[Worker]:
    """``manage.py db_worker`` against the live server's test database, stopped after the test."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        # The worker has its own settings: let it reach the emulator's deployments too.
        "BYOD_ALLOWED_HOSTS": "http://127.0.0.1:*",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_LOG_LEVEL": "INFO",  # for the "Starting worker" line we wait for
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "db_worker",
                "--interval",
                "0.2",
                "--no-startup-delay",
                "--no-reload",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(process, log)
    try:
        # db_worker logs this line just before it starts polling for tasks.
        wait_for(
            lambda: process.poll() is not None or "Starting worker" in worker.log_text(),
            timeout=STARTUP_TIMEOUT_S,
            what=f"db_worker to start (its log: {log})",
        )
        if process.poll() is not None:
            pytest.fail(f"db_worker exited at once:\n{worker.output()}")
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def chromium() -> Iterator[Any]:
    # Per test, not per session: Playwright's sync API keeps an event loop running in this
    # thread while it is started, which would break later tests that call asyncio.run().
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop is not ours
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium: Any, settings: Any) -> Iterator[Any]:
    # Plain http on localhost: cookies must not require TLS here.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = csp_violations(page)
    try:
        yield page
        # Every page a browser test visits, and every swap it makes, keeps to the CSP.
        assert violations == [], violations
    finally:
        context.close()


def csp_violations(page: Any) -> list[str]:
    """The Content-Security-Policy violations the page reports from now on (the browser's
    console messages and the `securitypolicyviolation` events), as they come."""
    seen: list[str] = []

    def note(message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            seen.append(message.text)

    page.on("console", note)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return seen


def log_in(page: Any, base_url: str, user: Any) -> None:
    """Log `user` in through the login page (every test user has the password PASSWORD)."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(f"text=Log out {user.username}")


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
