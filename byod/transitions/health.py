"""Health moves of connections, from what their probes found: hysteresis, drift, backoff.

One rule, applied to a batch of probes at once (bulk writes: a few statements per batch):
- a passing probe makes an unchecked or degraded connection healthy; an unhealthy one needs M
  passing probes in a row (``BYOD_HEALTH_SUCCESSES_TO_HEALTHY``) to be healthy again;
- a failing probe makes a connection degraded, and unhealthy after N failures in a row
  (``BYOD_HEALTH_FAILURES_TO_UNHEALTHY``), or at once when waiting cannot heal it (a category
  that is not retryable: a refused key, a deleted or paused deployment, drift);
- drift: the deployment answers, but not with the version and package hash we recorded (nor the
  ones we last pushed), or our functions are gone: something else was pushed over our package;
- the next check comes after the interval (healthy, jittered), or sooner after a failure and
  backing off while the failures go on (never dropped: an unhealthy connection stays due).

Each change of health writes one Event (``health.<state>``; ``health.drift`` when drift is
found; ``health.recovered`` when an unhealthy one heals; ``health.reason_changed`` when an
unhealthy one fails for another reason). Only the claimant of a batch (``check_claim``) writes.

A deploy meets what a probe looks at (the key, the deployment, our functions and version), so
its end counts too, through the same rule (`deploy_ended`): a real deploy that fails for good
with a category that says something about the deployment (``Category.about_deployment``: key
refused, not found, paused, over its limits, unreachable or timed out after its retries) is a
failed probe; one that succeeds is a passing probe of a degraded or unhealthy connection, and
heals at once a failure that waiting cannot heal (drift among them: the redeploy repaired it),
since hysteresis is there against faults that come and go, not against fixes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from byod import metrics
from byod.conf import conf
from byod.errors import DRIFT, ByodError, category, find
from byod.models import (
    Connection,
    ConnectionStatus,
    Deployment,
    Event,
    EventKind,
    Health,
    HealthSource,
)
from byod.transitions.base import event

H = Health
# What the bulk write sets on every probed connection.
FIELDS = [
    "health",
    "health_reason",
    "health_message",
    "health_detail",
    "health_changed_at",
    "health_source",
    "consecutive_failures",
    "consecutive_successes",
    "last_check_at",
    "last_check_ms",
    "next_check_at",
    "check_claim",
]

# A connection no check has looked at (yet, or since its credentials changed, or since it was
# disconnected): nothing of what was found before, not even when it was found, so no page says
# "Last check: just now" beside "No check has run yet". Clearing the claim makes a batch still
# probing the old credentials write nothing.
NOT_CHECKED: dict[str, Any] = {
    "health": Health.UNKNOWN,
    "health_reason": "",
    "health_message": "",
    "health_detail": "",
    "health_source": "",
    "consecutive_failures": 0,
    "consecutive_successes": 0,
    "last_check_at": None,
    "last_check_ms": None,
    "next_check_at": None,
    "check_claim": "",
    "check_requested_at": None,
}


@dataclass(frozen=True)
class Probe:
    """What one probe of one connection found (made by ``byod.services.health``)."""

    connection_id: int
    checked_at: datetime
    latency_ms: int
    error: ByodError | None = None  # the key, the deployment or its functions failed
    functions_missing: bool = False  # the deployment runs functions, but not our meta:get
    meta: dict[str, Any] | None = None  # what meta:get reported (None: no record)


@dataclass
class Change:
    """A connection whose health changed, and the Event that says so."""

    connection: Connection
    previous: str
    event: Event
    drift_found: bool = False


@dataclass
class Recorded:
    checked: int = 0
    changes: list[Change] = field(default_factory=list)
    skipped: int = 0  # a deploy started meanwhile: checked again later


def drift_of(connection: Connection, probe: Probe) -> ByodError | None:
    """Drift, judged against what we recorded for the connection, or None."""
    if probe.error is not None:
        return None
    ours = [
        (connection.deployed_version, connection.deployed_package_hash),
        (connection.pushed_version, connection.pushed_package_hash),
    ]
    ours = [(v, h) for v, h in ours if v is not None]
    if not ours:
        return None  # nothing of ours deployed yet: nothing to drift from
    version = ours[0][0]
    meta = probe.meta
    # `found` for operators (with the package digest); `said` for the user (no codes).
    if probe.functions_missing:
        found = "our functions are missing (another project's code runs there)"
        said = "Another project's code runs there."
    elif meta is None:
        found = "our version record is missing"
        said = "Our record of the version is missing there."
    elif (meta.get("schemaVersion"), meta.get("packageHash")) in ours:
        return None
    else:
        digest = str(meta.get("packageHash") or "")[:12]
        reported = meta.get("schemaVersion")
        found = f"it reports version {reported!r} (package {digest or '?'})"
        if reported == version:
            said = f"It runs another build of version {version}."
        elif isinstance(reported, int) and not isinstance(reported, bool) and 0 < reported < 10**6:
            said = f"It reports version {reported}."
        else:
            said = "It reports a version we do not know."
    return ByodError(
        DRIFT,
        f"drift: expected version {version} / package {ours[0][1][:12]}; {found}",
        user_message=(
            f"Your deployment runs something other than our version {version}: redeploy to "
            f"fix. {said}"
        ),
    )


def _delay(seconds: float, low: float, high: float) -> timedelta:
    return timedelta(seconds=seconds * random.uniform(low, high))  # noqa: S311 (jitter)


def _backoff(failures: int) -> timedelta:
    health = conf().health
    first, cap = health.retry_seconds, health.backoff_cap_seconds
    return _delay(min(cap, first * 2.0 ** max(0, failures - 1)), 0.8, 1.2)


def _judge(row: Connection, probe: Probe) -> tuple[str, Event | None, bool]:
    """Apply one probe to `row` (in memory); returns its previous health, the Event of a
    change (unsaved) and whether drift was just found."""
    error = probe.error or drift_of(row, probe)
    metrics.health_probed(error.category if error else "")
    row.last_check_at, row.last_check_ms = probe.checked_at, probe.latency_ms
    return _apply(row, error, probe.checked_at, HealthSource.CHECK)


def _apply(
    row: Connection, error: ByodError | None, now: datetime, source: str
) -> tuple[str, Event | None, bool]:
    """The rule: apply one observation (`error` None: it passed) made by `source` to `row` (in
    memory); returns its previous health, the Event of a change (unsaved) and whether drift
    was just found."""
    health = conf().health
    previous, reason = row.health, row.health_reason
    row.check_claim, row.health_source = "", source
    if error is None:
        row.consecutive_failures = 0
        row.consecutive_successes += 1
        needed = health.successes_to_healthy
        # A request reports a success only as the main deployment's half-open trial
        # (`byod.transitions.breaker`): it met the deployment the requests found failing.
        if (
            previous == H.UNHEALTHY
            and row.consecutive_successes < needed
            and not (source == HealthSource.DEPLOY and _fixed_by_deploy(reason))
            and source != HealthSource.REQUEST
        ):
            row.next_check_at = now + _delay(health.retry_seconds, 0.8, 1.2)
            return previous, None, False  # recovering: not trusted yet
        row.health, row.health_reason, row.health_message, row.health_detail = H.HEALTHY, "", "", ""
        row.next_check_at = now + _delay(health.interval_seconds, 0.9, 1.1)
    else:
        row.consecutive_successes = 0
        row.consecutive_failures += 1
        row.health_reason, row.health_message = error.category, error.user_message
        row.health_detail = error.detail
        row.next_check_at = now + _backoff(row.consecutive_failures)
        limit = health.failures_to_unhealthy
        if previous == H.UNHEALTHY or not error.retryable or row.consecutive_failures >= limit:
            row.health = H.UNHEALTHY
        else:
            row.health = H.DEGRADED
    drift_found = row.health_reason == DRIFT and (previous != H.UNHEALTHY or reason != DRIFT)
    moved = row.health != previous
    other_reason = row.health == H.UNHEALTHY and row.health_reason != reason
    if not (drift_found or moved or other_reason):
        return previous, None, False
    row.health_changed_at = now
    return previous, _event(row, previous, reason, drift_found), drift_found


def _fixed_by_deploy(reason: str) -> bool:
    """A failure waiting cannot heal (drift, a refused key, a paused deployment...): a deploy
    that succeeded met the key, the deployment and our version, so it is gone."""
    kind = find(reason)
    return kind is not None and not kind.retryable


def _event(row: Connection, previous: str, reason: str, drift_found: bool) -> Event:
    data = {
        "from": previous,
        "to": row.health,
        "reason": row.health_reason,
        "failures": row.consecutive_failures,
        "latency_ms": row.last_check_ms,
        "source": row.health_source,
    }
    label = category(row.health_reason).label if row.health_reason else ""
    by_deploy = row.health_source == HealthSource.DEPLOY
    if drift_found:
        kind, message = EventKind.HEALTH_DRIFT, row.health_message
    elif row.health == H.HEALTHY:
        kind = EventKind.HEALTH_RECOVERED if previous == H.UNHEALTHY else EventKind.HEALTH_HEALTHY
        if by_deploy:
            message = "A deploy succeeded: the deployment is healthy again."
        elif row.health_source == HealthSource.REQUEST:
            message = "A request for content succeeded: the deployment answers again."
        elif previous == H.UNKNOWN:
            message = "Health checks pass."
        else:
            message = "Health checks pass again."
    elif row.health == previous:
        kind, message = EventKind.HEALTH_REASON_CHANGED, f"Still unhealthy, now: {label}."
        data["previous_reason"] = reason
    elif row.health == H.DEGRADED:
        kind = EventKind.HEALTH_DEGRADED
        what = {"deploy": "A deploy", "request": "A request for content"}.get(
            row.health_source, "A health check"
        )
        message = f"{what} failed ({label})."
    else:
        kind = EventKind.HEALTH_UNHEALTHY
        message = f"Unhealthy ({label}): {row.health_message}"
    return event(row, kind, message, data=data)


@transaction.atomic
def record_probes(claim: str, probes: list[Probe]) -> Recorded:
    """Apply the probes of the batch `claim` to their connections: one bulk update, one bulk
    insert of Events. A connection that a deploy took meanwhile (its lease, or new versions)
    keeps its health and is only released, to be checked again soon."""
    by_id = {p.connection_id: p for p in probes}
    rows = list(Connection.objects.select_for_update().filter(pk__in=by_id, check_claim=claim))
    outcome = Recorded()
    changed: list[Connection] = []
    for row in rows:
        probe = by_id[row.pk]
        if row.lease_owner or row.status == ConnectionStatus.DEPLOYING:
            row.check_claim = ""
            row.next_check_at = probe.checked_at + _backoff(1)
            outcome.skipped += 1
        else:
            previous, made, drift_found = _judge(row, probe)
            outcome.checked += 1
            if made is not None:
                outcome.changes.append(Change(row, previous, made, drift_found))
        changed.append(row)
    _write(claim, changed)
    Event.objects.bulk_create([c.event for c in outcome.changes])
    return outcome


# What a deploy's end may change: not when the last probe ran nor what it measured.
_DEPLOY_WRITES = [f for f in FIELDS if f not in ("last_check_at", "last_check_ms")]


def deploy_ended(
    connection: Connection, deployment: Deployment, *, failed: str = "", message: str = ""
) -> Event | None:
    """What a real deploy's end says about the deployment's health, applied by the probes'
    rule (inside the caller's transaction; the connection row is locked).

    A failure for good (`failed`: its category; `message`: what the user was told) counts
    when its category says something about the deployment (``Category.about_deployment``); a
    success counts only for a connection found degraded or unhealthy (a healthy or not yet
    checked one is left to the probes). A connection held by a deploy is never probed
    meanwhile, so the health in hand (read when the deploy was claimed) is the health in the
    row: the success of a healthy one costs no statement (a rollout's deploy is held to ten).
    Returns the Event written, if any."""
    if deployment.dry_run:
        return None
    error = None
    if failed:
        kind = find(failed)
        if kind is None or not kind.about_deployment:
            return None
        error = ByodError(kind.code, f"deploy {deployment.pk}: {message}", user_message=message)
    elif connection.health not in (H.DEGRADED, H.UNHEALTHY):
        return None
    row = (
        Connection.objects.select_for_update()
        .only("pk", "status", "last_check_ms", *_DEPLOY_WRITES)
        .filter(pk=connection.pk)
        .exclude(status=ConnectionStatus.DISCONNECTED)
        .first()
    )
    if row is None:
        return None
    _previous, made, _drift = _apply(row, error, timezone.now(), HealthSource.DEPLOY)
    changed = {name: getattr(row, name) for name in _DEPLOY_WRITES}
    Connection.objects.filter(pk=row.pk).update(**changed)
    for name, value in changed.items():
        setattr(connection, name, value)
    if made is None:
        return None
    made.connection, made.deployment = connection, deployment
    made.save()
    return made


# Column types the VALUES table needs spelled out on PostgreSQL (a column of NULLs is text).
_CASTS = {
    "health_changed_at": "timestamptz",
    "last_check_at": "timestamptz",
    "next_check_at": "timestamptz",
    "consecutive_failures": "integer",
    "consecutive_successes": "integer",
    "last_check_ms": "integer",
}


def _write(claim: str, rows: list[Connection], chunk: int = 500) -> None:
    """Write FIELDS of `rows` (still claimed by `claim`): one UPDATE per chunk, joined to a
    VALUES table. Django's bulk_update builds a CASE per field and row and cost ~8 ms of CPU
    per row here (measured with benchmarks/health.py); this costs a few microseconds. The same
    SQL runs on SQLite (3.33+) and PostgreSQL. Only our own quoted names and placeholders go
    into the text; every value is a parameter."""
    db = connections[Connection.objects.db]
    q = db.ops.quote_name
    pg = db.vendor == "postgresql"
    sets = ", ".join(
        f"{q(name)} = v.{q(name)}" + (f"::{_CASTS[name]}" if pg and name in _CASTS else "")
        for name in FIELDS
    )
    columns = ", ".join(q(name) for name in ["id", *FIELDS])
    table = q(Connection._meta.db_table)
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        marks = ", ".join(["(" + ", ".join(["%s"] * (len(FIELDS) + 1)) + ")"] * len(part))
        params: list[Any] = []
        for row in part:
            params.append(row.pk)
            for name in FIELDS:
                value = getattr(row, name)
                if _CASTS.get(name) == "timestamptz":
                    value = db.ops.adapt_datetimefield_value(value)
                params.append(value)
        sql = (
            f"WITH v({columns}) AS (VALUES {marks}) "  # noqa: S608 (names are ours, quoted)
            f"UPDATE {table} SET {sets} FROM v "
            f"WHERE {table}.{q('id')} = v.{q('id')} AND {table}.{q('check_claim')} = %s"
        )
        with db.cursor() as cursor:
            cursor.execute(sql, [*params, claim])


def release_claim(claim: str, *, retry_in: timedelta | None = None) -> int:
    """Give back a batch's connections unprobed (e.g. the worker is stopping)."""
    when = timezone.now() + (retry_in or timedelta(0))
    return Connection.objects.filter(check_claim=claim).update(check_claim="", next_check_at=when)
