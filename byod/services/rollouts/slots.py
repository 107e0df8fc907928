"""The driver slots of a rollout: `RolloutDriver` rows a driver task holds with a lease while it
runs, renews, and lets go of; a slot whose lease ran out is free for another driver (the
watchdog revives it). Handing a slot over to a new task is the driver's (it enqueues it)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from byod.models import RolloutDriver
from byod.services.deploys import lease


def take(rollout_id: int, slot: int, owner: str) -> bool:
    now = timezone.now()
    free = Q(owner="") | Q(expires_at__lt=now) | Q(expires_at__isnull=True)
    taken = (
        RolloutDriver.objects.filter(rollout_id=rollout_id, slot=slot)
        .filter(free)
        .update(owner=owner, expires_at=now + timedelta(seconds=lease.lease_seconds()))
    )
    return taken == 1


def renew(rollout_id: int, slot: int, owner: str) -> bool:
    expires = timezone.now() + timedelta(seconds=lease.lease_seconds())
    renewed = RolloutDriver.objects.filter(rollout_id=rollout_id, slot=slot, owner=owner).update(
        expires_at=expires
    )
    return renewed == 1


def release(rollout_id: int, slot: int, owner: str) -> None:
    # Expired at once: a driver enqueued later (resume) may take it, the watchdog sees it idle.
    RolloutDriver.objects.filter(rollout_id=rollout_id, slot=slot, owner=owner).update(
        owner="", expires_at=timezone.now()
    )
