from __future__ import annotations

import pytest

from tests.browser.fixtures import ROOT  # noqa: F401  (fixtures come from the plugin)

pytestmark = pytest.mark.urls("tests.web.urls")


@pytest.fixture(autouse=True)
def _settings_page_urls(settings: pytest.FixtureRequest) -> None:
    settings.ROOT_URLCONF = "tests.web.urls"  # type: ignore[attr-defined]


# The schema package stand-in, while byod/package is not in the tree (in-process only).
from tests.web.conftest import package_version  # noqa: E402, F401
