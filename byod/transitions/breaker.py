"""Requests for content count toward their deployment's health: the breaker of the data plane.

A data call that fails with a category that says something about the deployment
(``Category.about_deployment``: its key refused, gone, paused, over its limits, unreachable or
timed out after the retries) is applied by the probes' rule (``byod.transitions.health``) with
``HealthSource.REQUEST``: N of them make the connection unhealthy (one, when waiting cannot heal
it), and from then on the data plane fails fast without calling (``unavailable_now``) until the
health sweep, which checks the connection again after its backoff, finds it working. The state
is the connection's row, so every process shares it.

A burst of failing requests writes a bounded number of rows: each process records at most one
failure per connection per ``BYOD_DATA_HEALTH_GAP_SECONDS``, and none once the connection is
unhealthy (the requests no longer call). A connection held by a deploy is left alone, as the
probes leave it.

The main deployment, which every user without their own shares, does not wait for the sweep
alone (two passing probes, minutes after a pause of seconds): once requests opened its breaker
(``breaker_opened_at``), after ``BYOD_DATA_BREAKER_COOLDOWN_SECONDS`` one request may try
(half-open; `may_try` claims the trial by a conditional UPDATE, so one request in all
processes). Its success closes the breaker (healthy, at once: it met the deployment the
requests found failing); its failure opens it again for another cool-down. Not while the
sweep's last probe found it failing: then the probes, not a request, say when it works.
A user's own deployment keeps the sweep's rule: one user's requests are few.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from byod.conf import conf
from byod.errors import ByodError, find
from byod.models import Connection, ConnectionStatus, Event, Health, HealthSource
from byod.transitions.health import FIELDS, _apply

_WRITES = [f for f in FIELDS if f not in ("last_check_at", "last_check_ms")]
_last: dict[int, float] = {}  # connection id -> monotonic time of this process's last record
_lock = threading.Lock()
_REMEMBERED = 10_000  # connections whose last record a process remembers


def counts(error: ByodError) -> bool:
    """Whether a failure of this category says something about the deployment."""
    kind = find(error.category)
    return kind is not None and kind.about_deployment


def request_failed(connection: Connection, error: ByodError) -> bool:
    """Apply a data call's failure to `connection`'s health (a row lock, one UPDATE, maybe one
    Event); updates the instance. Returns whether it was recorded (it counts, and this
    process did not record one for the connection within the gap)."""
    if not counts(error) or connection.health == Health.UNHEALTHY or not _due(connection.pk):
        return False
    with transaction.atomic():
        row = (
            Connection.objects.select_for_update()
            .only("pk", "status", "last_check_ms", "is_main", *_WRITES)
            .filter(pk=connection.pk, lease_owner="")
            .exclude(status__in=(ConnectionStatus.DISCONNECTED, ConnectionStatus.DEPLOYING))
            .first()
        )
        if row is None:
            return False
        now = timezone.now()
        made = _apply(row, error, now, HealthSource.REQUEST)[1]
        opened = row.is_main and row.health == Health.UNHEALTHY
        _save(row, connection, made, {"breaker_opened_at": now} if opened else {})
    return True


def _half_open_since(connection: Connection) -> datetime | None:
    """When the cool-down of `connection`'s open breaker started (None: it is not one that
    requests opened, or not open)."""
    if not connection.is_main or connection.health != Health.UNHEALTHY:
        return None
    if connection.health_source == HealthSource.CHECK and connection.consecutive_successes == 0:
        return None  # the sweep's last probe failed: the probes say when it works
    return connection.breaker_opened_at or connection.health_changed_at


def may_try(connection: Connection) -> bool:
    """Whether this request may try `connection` although it is unhealthy: the main
    deployment's breaker, opened by requests, after its cool-down, for one request at a time
    (claimed by a conditional UPDATE, which restarts the cool-down). No query before the
    cool-down ends."""
    since = _half_open_since(connection)
    now = timezone.now()
    wait = timedelta(seconds=conf().data.breaker_cooldown_seconds)
    if since is None or now - since < wait:
        return False
    due = now - wait
    claimed = (
        Connection.objects.filter(pk=connection.pk, is_main=True, health=Health.UNHEALTHY)
        .exclude(health_source=HealthSource.CHECK, consecutive_successes=0)
        .filter(
            Q(breaker_opened_at__lte=due)
            | Q(breaker_opened_at__isnull=True, health_changed_at__lte=due)
        )
        .update(breaker_opened_at=now)
    )
    if claimed == 1:
        connection.breaker_opened_at = now
    return claimed == 1


def trial_ended(connection: Connection, error: ByodError | None) -> None:
    """The half-open trial's outcome: None (it worked) closes the breaker at once; a failure
    that says something about the deployment opens it again (the cool-down starts now, after
    the trial's own retries); another failure leaves it as the claim left it."""
    if error is not None and not counts(error):
        return
    now = timezone.now()
    with transaction.atomic():
        row = (
            Connection.objects.select_for_update()
            .only("pk", "status", "last_check_ms", "is_main", "breaker_opened_at", *_WRITES)
            .filter(pk=connection.pk, health=Health.UNHEALTHY)
            .first()
        )
        if row is None:
            return  # the sweep healed it meanwhile
        made = _apply(row, error, now, HealthSource.REQUEST)[1]
        _save(row, connection, made, {"breaker_opened_at": now if error is not None else None})


def _save(
    row: Connection, connection: Connection, made: Event | None, extra: dict[str, object]
) -> None:
    """Writes what `_apply` changed on the locked `row` (and `extra`), records its Event
    `made`, and shows the change on the caller's `connection`."""
    changed: dict[str, object] = {name: getattr(row, name) for name in _WRITES} | extra
    Connection.objects.filter(pk=row.pk).update(**changed)
    if made is not None:
        made.connection = connection
        made.save()
    for name, value in changed.items():
        setattr(connection, name, value)


def _due(connection_id: int) -> bool:
    gap = conf().data.health_gap_seconds
    now = time.monotonic()
    with _lock:
        last = _last.get(connection_id)
        if last is not None and now - last < gap:
            return False
        if len(_last) >= _REMEMBERED:
            _last.clear()
        _last[connection_id] = now
        return True


def forget() -> None:
    """Forget this process's records (tests)."""
    with _lock:
        _last.clear()
