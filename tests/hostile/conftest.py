"""The hostile server for this folder's tests: one session, a port per mode."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hostile.server import HostileServers


@pytest.fixture(scope="session")
def hostile() -> Iterator[HostileServers]:
    servers = HostileServers()
    try:
        yield servers
    finally:
        servers.stop()
