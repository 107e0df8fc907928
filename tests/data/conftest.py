"""Fixtures of the data plane's tests: users whose content is in a main deployment, and servers
that count who called them or never answer.

- ``Listener``: a TCP server on 127.0.0.1 that counts connections and either closes them at
  once or holds them open without a byte (a deployment that never answers);
- ``content_in(user, url)`` / ``main_at(url)``: connections written directly (a sealed canary
  key, deployed version 3 by default) holding a user's content / everyone's.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from byod.models import Connection, ContentLocation, LocationKind
from byod.transitions import breaker
from tests.fixtures.connections import make_connection
from tests.fixtures.people import make_user


class Listener:
    """A TCP server counting connections; `silent`: hold them open, never answer."""

    def __init__(self, *, silent: bool) -> None:
        self.silent = silent
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                continue
            self.accepted += 1
            if self.silent:
                self._held.append(conn)
            else:
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self._server.close()


@pytest.fixture
def listener(allow_emulator_hosts: None) -> Iterator[Listener]:
    made = Listener(silent=False)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def silent_listener(allow_emulator_hosts: None) -> Iterator[Listener]:
    made = Listener(silent=True)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(autouse=True)
def fresh_breaker() -> Iterator[None]:
    breaker.forget()
    yield
    breaker.forget()


def main_at(url: str, **fields: Any) -> Connection:
    """The main deployment's connection at `url` (owned by a system user), version 3."""
    system = make_user(f"main-{Connection.objects.count()}")
    values: dict[str, Any] = {"url": url, "deployed_version": 3, "is_main": True}
    values.update(fields)
    return make_connection(system, **values)


def content_in(user: User, url: str, **fields: Any) -> Connection:
    """`user`'s own connection at `url`, holding their content, version 3."""
    values: dict[str, Any] = {"url": url, "deployed_version": 3}
    values.update(fields)
    connection = make_connection(user, **values)
    ContentLocation.objects.create(
        user=user, connection=connection, kind=LocationKind.OWN, changed_at=timezone.now()
    )
    return connection
