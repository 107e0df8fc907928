"""How far a rollout got: counts by outcome, by wave and by failure category, the slowest
deploys. Read from the rollout's members and deploys with a few aggregate queries, so that
any number of workers can write while a page or a command polls."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, ExpressionWrapper, F, Q
from django.db.models import DurationField as DurationOutput

from byod.models import (
    Deployment,
    DeploymentQuerySet,
    DeploymentStatus,
    MemberState,
    Rollout,
    RolloutMember,
    RolloutStatus,
    wave_name,
)

DS = DeploymentStatus


@dataclass
class Wave:
    number: int
    planned: int = 0
    succeeded: int = 0
    failed: int = 0
    running: int = 0
    waiting: int = 0  # not started yet, or a retry waiting for its time
    other: int = 0  # skipped, cancelled, superseded

    @property
    def name(self) -> str:
        return wave_name(self.number)


@dataclass
class Slow:
    deployment_id: int
    user: str
    seconds: float
    status: str


@dataclass
class Progress:
    rollout: Rollout
    total: int = 0  # members to deploy (skipped excluded)
    skipped: int = 0
    cancelled: int = 0  # members an abort left unreached, and retries it cancelled
    succeeded: int = 0
    failed: int = 0
    running: int = 0
    queued: int = 0  # retries waiting
    pending: int = 0  # not reached yet
    ended_otherwise: int = 0  # superseded deploys
    waves: list[Wave] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    slowest: list[Slow] = field(default_factory=list)

    @property
    def live(self) -> bool:
        """Worth watching: the rollout runs, or deploys of it still run (after a pause or an
        abort, running deploys finish). What the page polls for and `--follow` waits on."""
        return self.rollout.status == RolloutStatus.RUNNING or self.running > 0

    @property
    def done(self) -> int:
        return self.succeeded + self.failed + self.ended_otherwise + self.cancelled

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100


def progress(rollout: Rollout, *, slowest: int = 5) -> Progress:
    """Where `rollout` stands now (refreshes it from the database first)."""
    rollout.refresh_from_db()
    found = Progress(rollout)
    members = RolloutMember.objects.filter(rollout=rollout)
    waves: dict[int, Wave] = {}
    per_state = members.values("wave", "state").annotate(n=Count("pk"))
    for row in per_state:
        state, n = row["state"], row["n"]
        if state == MemberState.SKIPPED:
            found.skipped += n
            continue
        wave = waves.setdefault(row["wave"], Wave(row["wave"]))
        wave.planned += n
        if state == MemberState.PENDING:
            found.pending += n
            wave.waiting += n
        elif state == MemberState.CANCELLED:
            found.cancelled += n
            wave.other += n
    found.total = sum(w.planned for w in waves.values())
    deploys = Deployment.objects.filter(rollout=rollout)
    for got in deploys.values("wave", "status").annotate(n=Count("pk")):
        number = got["wave"] or 0
        wave = waves.setdefault(number, Wave(number))
        status, n = got["status"], got["n"]
        if status == DS.SUCCEEDED:
            found.succeeded += n
            wave.succeeded += n
        elif status == DS.FAILED:
            found.failed += n
            wave.failed += n
        elif status == DS.RUNNING:
            found.running += n
            wave.running += n
        elif status == DS.QUEUED:
            found.queued += n
            wave.waiting += n
        elif status == DS.CANCELLED:  # a retry an abort cancelled: as the abort counts it
            found.cancelled += n
            wave.other += n
        else:
            found.ended_otherwise += n
            wave.other += n
    found.waves = [waves[w] for w in sorted(waves)]
    failed = deploys.filter(status=DS.FAILED).values("error_category").annotate(n=Count("pk"))
    found.failures = {row["error_category"] or "unknown": row["n"] for row in failed}
    found.slowest = _slowest(deploys, slowest)
    return found


def _slowest(deploys: DeploymentQuerySet, limit: int) -> list[Slow]:
    took = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationOutput())
    rows = (
        deploys.filter(Q(finished_at__isnull=False) & Q(started_at__isnull=False))
        .annotate(took=took)
        .order_by("-took")
        .values("pk", "connection__user__username", "took", "status")[:limit]
    )
    return [
        Slow(
            r["pk"],
            r["connection__user__username"],
            (r["took"] or timedelta()).total_seconds(),
            r["status"],
        )
        for r in rows
    ]


def one_line(found: Progress) -> str:
    """`12/40 done: 11 succeeded, 1 failed, 3 running, wave 2 of 4`, for a progress bar."""
    rollout = found.rollout
    parts = [f"{found.succeeded} succeeded", f"{found.failed} failed", f"{found.running} running"]
    if found.queued:
        parts.append(f"{found.queued} retrying")
    waves = sum(1 for wave in found.waves if wave.number > 0)  # the canary is not "of N"
    where = wave_name(rollout.current_wave) + ("" if rollout.current_wave == 0 else f" of {waves}")
    return f"{', '.join(parts)}; {where}, {rollout.status}"
