"""Fixtures of the migration tests: the sample package, built once, and switching to it."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from byod import builds
from byod.services.deploys import push
from tests.migrations.sample import build_sample


def _clear_caches() -> None:
    builds.manifest.cache_clear()
    builds._raw.cache_clear()
    push._load_artifact.cache_clear()


@pytest.fixture(scope="session")
def sample_builds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample package's artifacts (tests/migrations/sample.py), built with the real CLI."""
    return build_sample(tmp_path_factory.mktemp("sample-builds"))


@pytest.fixture
def use_sample(
    sample_builds: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[int], None]]:
    """`use_sample(N)`: from now on the sample package is the package, at current version N."""
    version = importlib.import_module("byod.package.version")

    def use(current: int) -> None:
        monkeypatch.setattr(builds, "BUILDS_DIR", sample_builds)
        monkeypatch.setattr(version, "CURRENT_VERSION", current)
        _clear_caches()

    yield use
    _clear_caches()
