"""How big a rollout is before it starts: documents, what its data migrations rewrite, time.

Counts come from what "Count documents" stored on each connection (`Connection.table_counts`,
one `_system/cli/tableSize` call per table, which works on every version, v1 included). A
preview never counts inside the request: `request_counts` queues counts on the task workers
for the connections whose counts are missing or older than BYOD_ROLLOUT_COUNTS_MAX_AGE_SECONDS,
and the preview says how old the counts it used are and how many it lacks.

The estimate: each connection's deploy takes a base time (the median of recent deploys that
ran no migration, else BYOD_ROLLOUT_DEPLOY_SECONDS), plus one batch per
BYOD_MIGRATION_BATCH_SIZE documents of each table its migrations rewrite, at the seconds per
batch recent data migrations took (else BYOD_MIGRATION_BATCH_SECONDS). A wave runs
max_in_flight deploys at once and ends before the next starts: it takes its slowest deploy or
its total over the in-flight limit, whichever is longer; the rollout, the sum of its waves.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import DurationField, ExpressionWrapper, F
from django.utils import timezone

from byod.conf import conf
from byod.errors import ByodError
from byod.models import Connection, Deployment, DeploymentStatus, MigrationRun, MigrationRunStatus
from byod.services import contents
from byod.services.migrations import plan as migration_plan

SAMPLE = 200  # recent deploys and migration runs the rates are measured from


@dataclass
class Rates:
    deploy_seconds: float
    deploy_measured: int  # deploys it was measured from (0: the configured value)
    batch_seconds: float
    batch_measured: int  # migration runs it was measured from (0: the configured value)
    batch_size: int


@dataclass
class Sizing:
    """Documents and time of a planned rollout, from stored counts."""

    connections: int = 0
    counted: int = 0  # with counts no older than the limit
    stale: int = 0  # with older counts (used, and counted again)
    not_counted: int = 0  # deployed, never counted (not in the numbers)
    oldest_count: datetime | None = None
    documents: int = 0  # in our tables, over the connections counted
    to_rewrite: dict[str, int] = field(default_factory=dict)  # by table
    batches: int = 0
    seconds: float = 0.0
    counting: int = 0  # counts under way on the workers
    rates: Rates | None = None

    @property
    def documents_to_rewrite(self) -> int:
        return sum(self.to_rewrite.values())

    def how(self) -> str:
        """How the time was estimated, in words."""
        r = self.rates
        if r is None:
            return ""
        base = (
            f"the median of the last {r.deploy_measured} deploys without migrations"
            if r.deploy_measured
            else "the configured BYOD_ROLLOUT_DEPLOY_SECONDS: nothing measured yet"
        )
        batch = (
            f"measured over the last {r.batch_measured} data migrations"
            if r.batch_measured
            else "the configured BYOD_MIGRATION_BATCH_SECONDS: nothing measured yet"
        )
        return (
            f"{r.deploy_seconds:.0f} s per deploy ({base}) plus {r.batch_seconds:.2f} s per "
            f"batch of {r.batch_size} documents rewritten ({batch}); each wave runs its "
            "deploys in-flight-limit at a time and ends before the next starts"
        )


def rates() -> Rates:
    """Seconds per deploy and per migration batch: measured when there is history."""
    took = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    deploys = (
        Deployment.objects.real()
        .filter(status=DeploymentStatus.SUCCEEDED, started_at__isnull=False)
        .filter(finished_at__isnull=False, migration_runs__isnull=True)
        .annotate(took=took)
        .order_by("-id")
        .values_list("took", flat=True)[:SAMPLE]
    )
    durations = [d.total_seconds() for d in deploys if isinstance(d, timedelta)]
    runs = list(
        MigrationRun.objects.real()
        .filter(status=MigrationRunStatus.SUCCEEDED, batches__gt=0, finished_at__isnull=False)
        .order_by("-id")
        .values_list("started_at", "finished_at", "batches")[:SAMPLE]
    )
    run_seconds = 0.0
    run_batches = 0
    for started, finished, batches in runs:
        if finished is not None:
            run_seconds += (finished - started).total_seconds()
            run_batches += batches
    configured = conf()
    return Rates(
        deploy_seconds=(
            statistics.median(durations) if durations else configured.rollouts.deploy_seconds
        ),
        deploy_measured=len(durations),
        batch_seconds=(
            run_seconds / run_batches
            if run_batches
            else configured.rollouts.migration_batch_seconds
        ),
        batch_measured=len(runs) if run_batches else 0,
        batch_size=configured.migration_batch_size,
    )


def _fresh_after() -> datetime:
    return timezone.now() - timedelta(seconds=conf().rollouts.counts_max_age_seconds)


def needs_count(connection: Connection) -> bool:
    """Deployed (our tables are there) and without counts newer than the limit."""
    if connection.deployed_version is None:
        return False
    at = connection.table_counts_at
    return at is None or at < _fresh_after()


def request_counts(connections: list[Connection]) -> int:
    """Queue counts on the workers for the connections that need one; how many were queued
    (a count already under way is not queued again)."""
    return sum(1 for c in connections if needs_count(c) and contents.request_count(c))


def _tables_rewritten(connection: Connection, version: int) -> list[str]:
    data = connection.pushed_version
    data = data if data is not None else connection.deployed_version
    try:
        steps = migration_plan.plan(data, connection.migrating_version, version).steps
    except ByodError:
        return []  # the preview's groups say why
    return [s.table for s in steps]


def size(waves: list[tuple[int, list[Connection]]], version: int, in_flight: int) -> Sizing:
    """The sizing of a plan's waves (connections in order) going to `version`."""
    found = Sizing(rates=rates())
    r = found.rates
    assert r is not None
    fresh_after = _fresh_after()
    total = 0.0
    for _, members in waves:
        times = []
        for c in members:
            found.connections += 1
            found.counting += c.count_is_pending
            counts = c.table_counts if isinstance(c.table_counts, dict) else {}
            seconds = r.deploy_seconds
            if c.deployed_version is not None and c.table_counts_at is None:
                found.not_counted += 1
            elif c.table_counts_at is not None:
                if c.table_counts_at < fresh_after:
                    found.stale += 1
                else:
                    found.counted += 1
                if found.oldest_count is None or c.table_counts_at < found.oldest_count:
                    found.oldest_count = c.table_counts_at
                found.documents += sum(n for n in counts.values() if isinstance(n, int))
                for table in _tables_rewritten(c, version):
                    n = counts.get(table)
                    if not isinstance(n, int) or n == 0:
                        continue
                    found.to_rewrite[table] = found.to_rewrite.get(table, 0) + n
                    batches = math.ceil(n / max(1, r.batch_size))
                    found.batches += batches
                    seconds += batches * r.batch_seconds
            times.append(seconds)
        if times:
            total += max(max(times), sum(times) / min(in_flight, len(times)))
    found.seconds = total
    return found


def duration_words(seconds: float) -> str:
    """About how long: "about 40 s", "about 12 min", "about 3 h 20 min"."""
    s = round(seconds)
    if s < 90:
        return f"about {max(s, 1)} s"
    minutes = round(s / 60)
    if minutes < 90:
        return f"about {minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes} min"
