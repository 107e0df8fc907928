"""Metrics across processes: each process counts its own into the multiprocess directory, and a
scrape adds them up; gunicorn's exited workers are marked dead; a start empties the directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.tasks import task

from byod.metrics import MULTIPROCESS_DIR, prepare_directory
from byodsite.gunicorn_config import child_exit
from tests.fixtures.metrics import TOKEN, scrape, value

ROOT = Path(__file__).resolve().parents[2]

# Run in another process through the immediate backend: its task signals are the ones a
# worker sends.
COUNT = """
from byod import metrics
from tests.site.test_metrics_processes import counted_task
counted_task.enqueue()
metrics.deploy_finished("failed", "timeout")
"""


@task()
def counted_task() -> int:
    return 1


def run_counting_process(directory: Path, tmp_path: Path) -> None:
    environ = {
        **os.environ,
        MULTIPROCESS_DIR: str(directory),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "BYOD_TASK_BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", COUNT],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.django_db
def test_a_scrape_adds_up_the_counts_of_every_process(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "metrics"
    prepare_directory(directory)
    run_counting_process(directory, tmp_path)
    run_counting_process(directory, tmp_path)
    assert len(list(directory.glob("counter_*.db"))) == 2  # one file per process
    settings.BYOD_METRICS_TOKEN = TOKEN
    monkeypatch.setenv(MULTIPROCESS_DIR, str(directory))
    samples = scrape()
    assert value(samples, "byod_tasks_total", task="counted_task", outcome="successful") == 2
    assert value(samples, "byod_task_seconds_count", task="counted_task") == 2
    assert value(samples, "byod_deploys_finished_total", status="failed", category="timeout") == 2


def test_an_exited_web_worker_is_marked_dead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MULTIPROCESS_DIR, str(tmp_path))
    live = tmp_path / "gauge_livesum_4242.db"
    counts = tmp_path / "counter_4242.db"
    other = tmp_path / "gauge_livesum_4343.db"
    for path in (live, counts, other):
        path.write_bytes(b"")
    child_exit(None, SimpleNamespace(pid=4242))
    assert not live.exists()  # its live gauges go
    assert counts.exists() and other.exists()  # what it counted stays; others are untouched


def test_a_start_empties_the_directory_of_an_earlier_run(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    prepare_directory(directory)  # created
    (directory / "counter_17.db").write_bytes(b"old")
    (directory / "README").write_text("not ours")
    prepare_directory(directory)
    assert sorted(p.name for p in directory.iterdir()) == ["README"]
