"""Run the product in real processes (workers, commands) against one throwaway SQLite file.

The in-memory test database cannot be shared with other processes, so tests that kill a
worker or race two processes use a Sandbox: a migrated database file in tmp_path and helpers
to run manage.py commands and short Python snippets with the same settings and secrets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PRELUDE = """
import json, django
django.setup()
"""


class Sandbox:
    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.db = tmp_path / "sandbox.sqlite3"
        self.env = {
            **os.environ,  # carries the test run's random secret and encryption keys
            "DATABASE_URL": f"sqlite:///{self.db}",
            "DJANGO_SETTINGS_MODULE": "tests.deploy.sandbox_settings",
            "BYOD_ALLOWED_HOSTS": "http://127.0.0.1:*",
            "PYTHONPATH": os.pathsep.join(
                p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p
            ),
            **env,
        }
        self.manage("migrate", "--no-input", timeout=120)

    def manage(self, *args: str, timeout: float = 120, check: bool = True) -> Any:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def popen(self, *args: str, log: Path | None = None, **kwargs: Any) -> subprocess.Popen[str]:
        """Start `manage.py *args` in its own process group (so a test can kill it whole). With
        `log`, its output goes to that file (readable while it runs) instead of pipes."""
        out: Any = subprocess.PIPE if log is None else log.open("a")
        try:
            return subprocess.Popen(
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.PIPE if log is None else subprocess.STDOUT,
                text=True,
                start_new_session=True,
                **kwargs,
            )
        finally:
            if log is not None:
                out.close()  # the child has its own copy

    def python(self, code: str, *, timeout: float = 120, **env: str) -> Any:
        """Run `code` (after django.setup()); it sets `result`, which comes back as JSON."""
        script = PRELUDE + textwrap.dedent(code) + "\nprint(json.dumps(result, default=str))\n"
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise AssertionError(f"snippet failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def row(self, sql: str, *params: Any) -> Any:
        """One row straight from the database file (read-only), as a dict."""
        import sqlite3

        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10) as db:
            db.row_factory = sqlite3.Row
            found = db.execute(sql, params).fetchone()
            return dict(found) if found is not None else None

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        import sqlite3

        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute(sql, params).fetchall()]
