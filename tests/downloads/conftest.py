"""Fixtures of the downloads' tests: the moves' emulated deployments and seeded content (the
main deployment holds the users' content), and downloads written under a temporary directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.moves.conftest import Content, Pair, fresh_breaker, listener, pair, seed

__all__ = ["Content", "Pair", "downloads_dir", "fresh_breaker", "listener", "pair", "seed"]


@pytest.fixture
def downloads_dir(tmp_path: Path, settings: Any) -> Path:
    where = tmp_path / "downloads"
    settings.BYOD_DOWNLOADS_DIR = str(where)
    settings.BYOD_DOWNLOAD_KEEP_HOURS = 24.0
    return where
