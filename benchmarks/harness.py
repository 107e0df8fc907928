"""What every benchmark needs: a throwaway database and secrets, Django set up, CPU clocks."""

from __future__ import annotations

import base64
import os
import resource
import secrets
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def throwaway_django(database: str | None = None) -> Iterator[str]:
    """Set up Django on a fresh, migrated database; yields its URL and drops it afterwards.

    `database`: None for a temporary SQLite file, or a PostgreSQL server URL
    (`postgres://user@host:port/anydb`), on which a temporary database is created.
    """
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "byodsite.settings"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + secrets.token_hex(24))
    key = base64.b64encode(os.urandom(32)).decode()
    os.environ.setdefault("BYOD_ENCRYPTION_KEYS", f"bench:{key}")
    os.environ["BYOD_ALLOWED_HOSTS"] = "http://127.0.0.1:*"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory(prefix="byod-bench-") as tmp:
        if database is None:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            drop: Callable[[], None] | None = None
        else:
            url, drop = _create_postgres_database(database)
        os.environ["DATABASE_URL"] = url
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", "--no-input", verbosity=0)
        try:
            yield url
        finally:
            if drop is not None:
                from django.db import connections

                connections.close_all()
                drop()


def _create_postgres_database(server: str) -> tuple[str, Callable[[], None]]:
    import psycopg

    name = f"byod_bench_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(server)
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def cpu_seconds() -> float:
    """CPU (user + system) this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) another process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds every process of this machine has used so far, over all cores (Linux
    /proc/stat): with a database server on the same machine, its CPU counts too."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
