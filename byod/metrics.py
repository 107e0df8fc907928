"""What the product counts and times, for Prometheus (served at ``/metrics``; README, "Metrics").

Each product metric is recorded in one line where its outcome is decided (a deploy attempt's
end in ``byod.transitions.deployment``, a probe's verdict in ``byod.transitions.health``);
tasks are counted and timed from Django's task signals (``task_started`` / ``task_finished``,
connected by ``ByodConfig.ready``), whichever backend runs them. The calls to Convex are
measured where they are made (``byod.client``). Labels are bounded: task function names,
statuses, and categories of the one table in ``byod.errors``.

Several processes (gunicorn's workers, ``db_worker``s, the scheduler) each count their own.
With ``PROMETHEUS_MULTIPROC_DIR`` set before a process starts (``manage.py serve`` sets it up),
prometheus_client keeps each process's values in files in that directory and a scrape adds
them up; without it (tests, a single process) a scrape reads this process's registry.

A leaf: prometheus_client and Django, nothing of the project.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from django.tasks import TaskResultStatus
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder

log = logging.getLogger(__name__)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
NO_CATEGORY = "none"

TASKS = Counter(
    "byod_tasks_total",
    "Tasks run to their end, by task function and outcome (successful, failed).",
    ["task", "outcome"],
)
TASK_SECONDS = Histogram(
    "byod_task_seconds",
    "How long tasks ran, by task function.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
DEPLOYS_FINISHED = Counter(
    "byod_deploys_finished_total",
    "Deploy attempts that ended, by how (succeeded, retrying, failed, cancelled, superseded) "
    "and failure category (none when it did not fail).",
    ["status", "category"],
)
HEALTH_PROBES = Counter(
    "byod_health_probes_total",
    "Health probes recorded, by result: healthy, or the failure category.",
    ["result"],
)

DATA_CALLS = Counter(
    "byod_data_operations_total",
    "Operations of the data plane (byod.data: get, page, insert, snapshot...), by operation, "
    "purpose and outcome (ok, or the failure category: refused before any call too).",
    ["operation", "purpose", "category"],
)


def data_operation(operation: str, purpose: str, category: str = "") -> None:
    """One operation of the data plane ended: ok, or failing with `category`."""
    DATA_CALLS.labels(operation, purpose, category or "ok").inc()


def deploy_finished(status: str, category: str = "") -> None:
    """A deploy attempt ended as `status`, failing with `category` if it failed."""
    DEPLOYS_FINISHED.labels(status=status, category=category or NO_CATEGORY).inc()


def health_probed(category: str = "") -> None:
    """A probe was recorded: healthy, or failing with `category`."""
    HEALTH_PROBES.labels(result=category or "healthy").inc()


# --- tasks, from Django's task signals ---------------------------------------------------------

_started: dict[str, float] = {}  # task result id -> monotonic start, in this process


def task_started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    _started[task_result.id] = time.monotonic()


def task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    # Sent from the worker's own error handling: a failure here must never fail the task.
    try:
        began = _started.pop(task_result.id, None)
        if began is not None:
            seconds = time.monotonic() - began
        elif task_result.started_at and task_result.finished_at:
            seconds = (task_result.finished_at - task_result.started_at).total_seconds()
        else:
            seconds = 0.0
        name = task_result.task.name  # the function's name: as bounded as our code
        ok = task_result.status == TaskResultStatus.SUCCESSFUL
        TASKS.labels(task=name, outcome="successful" if ok else "failed").inc()
        TASK_SECONDS.labels(task=name).observe(max(0.0, seconds))
    except Exception:
        log.exception("recording the metrics of task %s failed", getattr(task_result, "id", "?"))


# --- scraping ----------------------------------------------------------------------------------


def registry() -> CollectorRegistry:
    """What a scrape reads: every process's files in multiprocess mode, else this process."""
    directory = os.environ.get(MULTIPROCESS_DIR)
    if not directory:
        return REGISTRY
    collected = CollectorRegistry()
    multiprocess.MultiProcessCollector(collected, path=directory)  # type: ignore[no-untyped-call]
    return collected


def exposition(accept: str | None) -> tuple[bytes, str]:
    """The scrape's body and content type (text format, or OpenMetrics when asked for it)."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry()), content_type


def prepare_directory(directory: Path) -> None:
    """Create the multiprocess directory, or empty it of an earlier run's files: a new process
    may get an old one's pid, and would add to its counts. Call it before any process starts."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.db"):
        old.unlink()


def process_exited(pid: int) -> None:
    """A process of the multiprocess directory exited: drop its live gauges (gunicorn's
    ``child_exit``); its counters and histograms stay counted."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
