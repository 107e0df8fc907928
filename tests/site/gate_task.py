"""A task for tests of the worker itself: it waits until a file exists (the test opens the
gate), so a test decides when it ends, then returns what the file says."""

from __future__ import annotations

import time
from pathlib import Path

from django.tasks import task


@task()
def wait_for_gate(path: str) -> str:
    gate = Path(path)
    while not gate.exists():
        time.sleep(0.05)
    return gate.read_text()
