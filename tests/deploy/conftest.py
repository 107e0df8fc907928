"""Fixtures for the deploy tests: a user connected to a fresh emulated deployment."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from accounts.models import User
from byod.models import Connection, Deployment
from byod.services import connections
from tests.fixtures.canary import self_hosted_key
from tests.fixtures.emulator import Emulator, EmulatorDeployment


@pytest.fixture
def deployment(convex_emulator: Emulator, allow_emulator_hosts: None) -> Any:
    """A fresh emulated deployment whose admin key is a canary."""
    name = f"dep-{secrets.token_hex(4)}"
    created = convex_emulator.create_deployment(
        name, admin_key=self_hosted_key(name), backfill_ms=0
    )
    try:
        yield created
    finally:
        convex_emulator.delete_deployment(created.name)


@pytest.fixture
def connected(owner: User, deployment: EmulatorDeployment) -> tuple[Connection, Deployment]:
    """A user connected through the service; returns the connection and its queued deploy."""
    connection = connections.connect(owner, deployment.url, deployment.admin_key, actor=owner)
    queued = connection.deployments.get()
    return connection, queued


@pytest.fixture
def fast_retries(settings: Any) -> None:
    settings.BYOD_DEPLOY_RETRY_BASE_SECONDS = 0
