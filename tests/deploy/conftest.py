"""Fixtures for the deploy tests (users, deployments and connections are in tests/fixtures/)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def fast_retries(settings: Any) -> None:
    settings.BYOD_DEPLOY_RETRY_BASE_SECONDS = 0
