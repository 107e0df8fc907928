"""gunicorn's hooks for `manage.py serve` (`--config python:byodsite.gunicorn_config`).

Use it in production too: with PROMETHEUS_MULTIPROC_DIR set, a web worker that exits is marked
dead so the metrics of the processes still running are the ones a scrape reads.
"""

from __future__ import annotations

from typing import Any

from byod.metrics import process_exited


def child_exit(server: Any, worker: Any) -> None:
    process_exited(worker.pid)
