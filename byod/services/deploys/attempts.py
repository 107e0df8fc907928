"""How a failed deploy attempt ends: scheduled for a retry, or failed for good.

One rule for every failure, whoever records it (the deploy itself, or the reaper for a worker
that died): a retryable error with attempts left is retried after an exponential backoff with
jitter (at least what the deployment asked for); anything else fails the deploy. Recording
only; whoever owns the task queue enqueues the retry at the returned time.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from django.utils import timezone

from byod import transitions
from byod.conf import conf
from byod.errors import ByodError
from byod.models import Deployment

log = logging.getLogger(__name__)


def backoff_seconds(attempt: int, error: ByodError | None = None) -> float:
    """Exponential backoff with jitter: base * 2^(attempt-1), capped, times 0.5..1."""
    deploys = conf().deploys
    cap, first = deploys.retry_cap_seconds, deploys.retry_base_seconds
    base = first * 2.0 ** max(0, attempt - 1)
    delay = min(cap, base) * (0.5 + random.random() / 2)  # noqa: S311
    if error is not None and error.retry_after:
        delay = max(delay, min(cap, error.retry_after))
    return delay


def record_failure(deployment: Deployment, error: ByodError) -> datetime | None:
    """Record a failed attempt of a running deploy; returns when to retry, or None.

    None also when the deploy's status changed meanwhile (cancelled, reaped): theirs wins.
    """
    transitions.save_progress(deployment, log_line=f"failed: {error.category}: {error.detail}")
    try:
        if error.retryable and deployment.attempt < deployment.max_attempts:
            when = timezone.now() + timedelta(seconds=backoff_seconds(deployment.attempt, error))
            transitions.mark_deploy_retrying(
                deployment,
                category=error.category,
                message=error.user_message,
                next_attempt_at=when,
            )
            return when
        transitions.mark_deploy_failed(
            deployment,
            category=error.category,
            message=error.user_message,
            retryable=error.retryable,
        )
    except transitions.TransitionError as changed:
        log.warning("deploy %s: outcome not recorded: %s", deployment.pk, changed)
    return None
