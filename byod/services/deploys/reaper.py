"""Finding deploys whose worker died, and recording them.

A worker that dies mid-deploy stops renewing its lease. Once the lease expired, the reaper
takes it over (the same conditional UPDATE a worker uses, so many reapers may run at once),
records the attempt as lost (``worker_lost``) and lets the one retry rule decide whether it
is retried. It only records; `byod.services.deploys.run` enqueues the retries it returns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from byod import transitions
from byod.errors import WORKER_LOST, ByodError
from byod.models import Deployment, DeploymentStatus, Holder
from byod.services.deploys import attempts, lease

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reaped:
    deployment_id: int
    retry_at: datetime | None  # None: failed for good
    rollout_id: int | None = None  # a rollout's drivers run its retries


def reap_abandoned_deploys() -> list[Reaped]:
    """Record running deploys whose worker's lease expired; one entry per deploy reaped."""
    now = timezone.now()
    stale = Deployment.objects.filter(status=DeploymentStatus.RUNNING).filter(
        Q(connection__lease_expires_at__lt=now)
        | Q(connection__lease_expires_at__isnull=True)
        | Q(connection__lease_owner="")
    )
    reaped: list[Reaped] = []
    for deployment in stale.select_related("connection"):
        owner = lease.new_owner()
        if not lease.take(deployment.connection_id, owner):
            continue  # a live worker holds it (it renewed meanwhile)
        try:
            deployment.refresh_from_db()
            if deployment.status != DeploymentStatus.RUNNING:
                continue
            # The reaper records the attempt as its holder now: fenced like a worker's writes.
            deployment.holder = Holder(owner, deployment.attempt)
            log.warning("deploy %s: worker lost (lease expired); recording it", deployment.pk)
            error = ByodError(WORKER_LOST, "worker lost: lease expired")
            retry_at = attempts.record_failure(deployment, error)
            reaped.append(Reaped(deployment.pk, retry_at, deployment.rollout_id))
            # The data migration it was running ends too (a retry resumes from the cursor).
            transitions.close_interrupted(
                deployment.connection, "its worker stopped (lease expired).", deployment=deployment
            )
        finally:
            lease.release(deployment.connection_id, owner)
    return reaped
