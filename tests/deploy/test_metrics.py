"""A scrape of /metrics after real work shows it: a deploy and a health sweep run by the task
worker (django-tasks-db's own loop, in this process) against an emulated deployment."""

from __future__ import annotations

from typing import Any

import pytest
from django.tasks import task
from django_tasks_db.management.commands.db_worker import Worker

from accounts.models import User
from byod import package
from byod.models import Connection
from byod.services import connections
from byod.services.health import sweep_task
from tests.fixtures.emulator import EmulatorDeployment
from tests.fixtures.metrics import TOKEN, Samples, scrape, value

# The worker commits as it goes, as in production: the test database must let it.
pytestmark = pytest.mark.usefixtures("transactional_db")


def run_worker() -> None:
    """Run every task that is due now, then return (`db_worker --batch`)."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="metrics-test",
        excluded_queue_names=[],
    ).run()


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@task()
def exploding_task() -> None:
    raise RuntimeError("boom")


def test_a_scrape_after_a_deploy_and_a_sweep_shows_their_counters(
    settings: Any, owner: User, canary_deployment: EmulatorDeployment
) -> None:
    settings.BYOD_METRICS_TOKEN = TOKEN
    before = scrape()
    connection = connections.connect(
        owner, canary_deployment.url, canary_deployment.admin_key, actor=owner
    )
    run_worker()  # the deploy the connection queued
    connection.refresh_from_db()
    assert connection.deployed_version == package.current_version()
    sweep_task.enqueue()
    run_worker()  # the sweep, then the batch it enqueued
    connection.refresh_from_db()
    assert connection.health == "healthy"
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return moved(before, after, name, **labels)

    for name in ("deploy_task", "sweep_task", "check_batch_task"):
        assert delta("byod_tasks_total", task=name, outcome="successful") == 1, name
        assert delta("byod_task_seconds_count", task=name) == 1, name
    assert delta("byod_task_seconds_sum", task="deploy_task") > 0
    assert delta("byod_deploys_finished_total", status="succeeded", category="none") == 1
    assert delta("byod_health_probes_total", result="healthy") == 1
    # The client's choke point: the deploy's push and the probe's calls, by purpose.
    ok = {"category": "ok"}
    assert delta("byod_convex_calls_total", operation="start_push", purpose="deploy", **ok) == 1
    assert delta("byod_convex_calls_total", operation="finish_push", purpose="deploy", **ok) == 1
    probed = delta("byod_convex_calls_total", operation="check_admin_key", purpose="health", **ok)
    assert probed == 1
    assert (
        delta("byod_convex_call_seconds_count", operation="start_push", purpose="deploy", **ok) == 1
    )


def test_a_scrape_shows_failures_by_category(
    settings: Any, owner: User, canary_deployment: EmulatorDeployment
) -> None:
    settings.BYOD_METRICS_TOKEN = TOKEN
    connection = connections.connect(
        owner, canary_deployment.url, canary_deployment.admin_key, actor=owner
    )
    before = scrape()
    canary_deployment.set_fault("*", revoked_key=True)  # the key stops working
    run_worker()
    connection.refresh_from_db()
    assert connection.last_error_category == "bad_credentials"
    # The failed deploy told health at once, which checks again after its backoff: due now.
    Connection.objects.filter(pk=connection.pk).update(next_check_at=None)
    sweep_task.enqueue()
    exploding_task.enqueue()
    run_worker()
    after = scrape()
    assert (
        moved(
            before,
            after,
            "byod_deploys_finished_total",
            status="failed",
            category="bad_credentials",
        )
        == 1
    )
    assert moved(before, after, "byod_health_probes_total", result="bad_credentials") == 1
    assert moved(before, after, "byod_tasks_total", task="exploding_task", outcome="failed") == 1
    # The failure was the task's own: the worker recorded it as such, not the metrics.
    assert moved(before, after, "byod_tasks_total", task="deploy_task", outcome="successful") == 1
