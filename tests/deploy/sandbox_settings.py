"""Settings for deploy tests that run real worker processes against a file database.

The test settings, with a lease and retry delays short enough to watch a dead worker's
lease expire within a test.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403  (the test settings, nothing else)

BYOD_DEPLOY_LEASE_SECONDS = float(os.environ.get("BYOD_DEPLOY_LEASE_SECONDS", "3"))
BYOD_DEPLOY_RETRY_BASE_SECONDS = 0.2
# SQLite's busy timeout (how long a writer waits for the lock), shortened by tests that hold
# the lock longer than it to see what a worker does then.
if os.environ.get("SANDBOX_SQLITE_TIMEOUT"):
    DATABASES["default"]["OPTIONS"]["timeout"] = float(os.environ["SANDBOX_SQLITE_TIMEOUT"])  # noqa: F405
