"""Throttling: at most N hits per key per window, shared by every process through the database.

`hit(scope, key, limit=, per_seconds=)` counts one hit and says whether it is allowed and, if
not, how long to wait. Windows are fixed (they start at multiples of `per_seconds`); the
counter is a row updated with conditional UPDATEs, so concurrent hits are all counted. Keys
are hashed before they are stored: addresses and user names never sit in the table in clear.
`guard(request, scope, ...)` applies the limits configured in `BYOD_THROTTLES` (`byod.conf`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Throttle
from byod.conf import conf

KEEP_ROWS_FOR = timedelta(days=1)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    hits: int
    retry_after: int  # seconds until the window ends (0 when allowed)

    @property
    def message(self) -> str:
        return (
            f"Too many attempts. Please wait {self.retry_after} seconds, then try again."
            if not self.allowed
            else ""
        )


def hit(scope: str, key: str, *, limit: int, per_seconds: int) -> Decision:
    """Count one hit of `key` in `scope`; allowed while the window's hits are within `limit`."""
    now = timezone.now()
    epoch = int(now.timestamp())
    end = datetime.fromtimestamp(epoch - epoch % per_seconds + per_seconds, tz=now.tzinfo)
    digest = hashlib.sha256(key.encode()).hexdigest()
    rows = Throttle.objects.filter(scope=scope, key=digest)
    with transaction.atomic():
        counted = rows.filter(window_end=end).update(hits=F("hits") + 1)
        if not counted:  # a new window: restart an old row, or make the first one
            counted = rows.filter(window_end__lt=end).update(window_end=end, hits=1)
        if not counted:
            try:
                with transaction.atomic():
                    Throttle.objects.create(scope=scope, key=digest, window_end=end, hits=1)
                Throttle.objects.filter(window_end__lt=now - KEEP_ROWS_FOR).delete()
            except IntegrityError:  # another process made it meanwhile
                rows.filter(window_end=end).update(hits=F("hits") + 1)
        hits = rows.values_list("hits", flat=True).get()
    wait = math.ceil((end - now).total_seconds())
    return Decision(hits <= limit, hits, 0 if hits <= limit else max(1, wait))


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR (a proxy in front must set it to the client's)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def guard(request: HttpRequest, scope: str, **keys: str) -> Decision:
    """Count a hit of `scope` for each key given (e.g. user=..., address=...) against the
    limits `BYOD_THROTTLES[f"{scope}:{name}"]`; the first refusal wins."""
    decision = Decision(True, 0, 0)
    for name, value in keys.items():
        limit, per = conf().throttles[f"{scope}:{name}"]
        result = hit(f"{scope}:{name}", value, limit=limit, per_seconds=per)
        if decision.allowed and not result.allowed:
            decision = result
    return decision
