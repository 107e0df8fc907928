"""The health of a connection, as its probes found it: states, and the words for choosing them.

A connection is ``unknown`` until its first check (never "healthy" without one), ``healthy``,
``degraded`` (a probe failed, fewer than N in a row: it may pass again on its own) or
``unhealthy`` (N failed probes in a row, or one failure that waiting cannot heal); ``reason``
says why, as an error category of ``byod.errors`` (``drift`` among them). Health is apart from
the deploy status: a failed deploy leaves a deployment that may still run fine, and the reverse.
"""

from __future__ import annotations

from datetime import datetime
from typing import Self, TypeVar

from django.db import models
from django.db.models import Q

from byod.errors import DRIFT
from byod.models.statuses import ConnectionStatus, Health

_Model = TypeVar("_Model", bound=models.Model)


def checkable_q() -> Q:
    """Connections the sweep probes: a stored key, not disconnected, not being deployed to (a
    deploy changes what the deployment runs; it is checked again once the deploy ended)."""
    return (
        ~Q(status__in=[ConnectionStatus.DISCONNECTED, ConnectionStatus.DEPLOYING])
        & ~Q(key_ciphertext="")
        & Q(lease_owner="")
    )


def due_q(now: datetime) -> Q:
    """Checkable and due: never checked, or its next check time has come (a claim left by a
    worker that died expires the same way)."""
    return checkable_q() & (Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))


class HealthQuerySet(models.QuerySet[_Model]):
    """Health words of ``ConnectionQuerySet`` (its base class)."""

    def due_for_check(self, now: datetime) -> Self:
        return self.filter(due_q(now))

    def _known(self, health: str) -> Self:
        return self.exclude(status=ConnectionStatus.DISCONNECTED).filter(health=health)

    def never_checked(self) -> Self:
        return self._known(Health.UNKNOWN)

    def healthy(self) -> Self:
        return self._known(Health.HEALTHY)

    def degraded(self) -> Self:
        return self._known(Health.DEGRADED)

    def unhealthy(self, reason: str | None = None) -> Self:
        found = self._known(Health.UNHEALTHY)
        return found if reason is None else found.filter(health_reason=reason)

    def drifted(self) -> Self:
        """Running something other than the version and package we deployed."""
        return self.unhealthy(DRIFT)
