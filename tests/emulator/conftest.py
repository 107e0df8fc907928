"""Fixtures shared by the emulator's conformance tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.emulator.convex_cli import DATA_PROJECT, push, push_request
from tests.fixtures.emulator import EmulatorDeployment


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as c:
        yield c


@pytest.fixture
def deployed(client: httpx.Client, convex_deployment: EmulatorDeployment) -> EmulatorDeployment:
    """A deployment running the fixture project (schema + convex/notes.ts)."""
    outcome = push(client, convex_deployment.url, convex_deployment.admin_key, push_request())
    assert outcome["finish"] is not None and outcome["finish"].status_code == 200
    return convex_deployment


@pytest.fixture
def data_deployed(
    client: httpx.Client, convex_deployment: EmulatorDeployment
) -> EmulatorDeployment:
    """A deployment running the data fixture project (items with an index and a search index,
    blobs of any shape; convex/data.ts)."""
    request = push_request(project=DATA_PROJECT)
    outcome = push(client, convex_deployment.url, convex_deployment.admin_key, request)
    assert outcome["finish"] is not None and outcome["finish"].status_code == 200
    return convex_deployment
