"""Fixtures for the health and notification tests: a connection deployed for real."""

from __future__ import annotations

from typing import Any

import pytest

from byod.models import Connection
from byod.services.health import check_in_process
from tests.fixtures.people import client_for


@pytest.fixture
def deployed(deployed_connection: Connection) -> Connection:
    """The shared ``deployed_connection`` (tests/fixtures), under the name these tests use."""
    return deployed_connection


def check(connection: Connection) -> Connection:
    """Probe `connection` now (due or not) and return it fresh from the database."""
    check_in_process([connection])
    connection.refresh_from_db()
    return connection


@pytest.fixture
def hysteresis(settings: Any) -> None:
    settings.BYOD_HEALTH_FAILURES_TO_UNHEALTHY = 3
    settings.BYOD_HEALTH_SUCCESSES_TO_HEALTHY = 2


@pytest.fixture
def client_for_other(other_user: Any) -> Any:
    return client_for(other_user)
