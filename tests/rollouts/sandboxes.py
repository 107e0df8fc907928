"""Where the worker tests run: the deploy tests' SQLite Sandbox, or, when the suite runs on
PostgreSQL (DATABASE_URL=postgres://...), the same on a throwaway PostgreSQL database, so that
three workers really claim through SELECT ... FOR UPDATE there."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.deploy.sandbox import Sandbox


class PostgresSandbox(Sandbox):
    """A Sandbox whose database is a fresh PostgreSQL database on the suite's server."""

    def __init__(self, tmp_path: Path, server: str, **env: str) -> None:
        import psycopg

        self.name = f"byod_sbx_{uuid.uuid4().hex[:10]}"
        parts = urlsplit(server)
        self.admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
        self.url = urlunsplit(parts._replace(scheme="postgresql", path=f"/{self.name}"))
        with psycopg.connect(self.admin, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{self.name}"')
        super().__init__(tmp_path, **env, DATABASE_URL=self.url)

    def row(self, sql: str, *params: Any) -> Any:
        found = self.rows(sql, *params)
        return found[0] if found else None

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(self.url, row_factory=dict_row, autocommit=True) as db:
            if not params:  # no placeholders, so "%" stays a LIKE wildcard
                return list(db.execute(sql).fetchall())
            return list(db.execute(sql.replace("?", "%s"), params).fetchall())

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@contextmanager
def sandbox(tmp_path: Path, **env: str) -> Iterator[Sandbox]:
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        yield Sandbox(tmp_path, **env)
        return
    made = PostgresSandbox(tmp_path, server, **env)
    try:
        yield made
    finally:
        made.drop()
