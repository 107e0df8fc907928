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
"""

from __future__ import annotations

import threading
import time

from django.db import transaction
from django.utils import timezone

from byod.conf import conf
from byod.errors import ByodError, find
from byod.models import Connection, ConnectionStatus, Health, HealthSource
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
            .only("pk", "status", "last_check_ms", *_WRITES)
            .filter(pk=connection.pk, lease_owner="")
            .exclude(status__in=(ConnectionStatus.DISCONNECTED, ConnectionStatus.DEPLOYING))
            .first()
        )
        if row is None:
            return False
        _previous, made, _drift = _apply(row, error, timezone.now(), HealthSource.REQUEST)
        changed = {name: getattr(row, name) for name in _WRITES}
        Connection.objects.filter(pk=row.pk).update(**changed)
        if made is not None:
            made.connection = connection
            made.save()
    for name, value in changed.items():
        setattr(connection, name, value)
    return True


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
