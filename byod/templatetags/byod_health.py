"""The health panel's sentences: what the last check (or deploy) found, in words.

Never a code: a reason no category knows any more still reads as words, latencies read as a
person would say them (`byod_format.latency`: "84 ms", "1.2 s", "10 s")."""

from __future__ import annotations

from django import template

from byod.errors import find
from byod.models import Connection, Health, HealthSource

register = template.Library()

OTHER_PROBLEM = "Another problem"


@register.filter
def health_label(connection: Connection) -> str:
    """Why the connection is degraded or unhealthy, in a few words (the category's label)."""
    kind = find(connection.health_reason)
    return kind.label if kind else OTHER_PROBLEM


def _times(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


@register.filter
def health_result(c: Connection) -> str:
    """What the last judgement of health found, in one sentence."""
    if c.health == Health.UNKNOWN:
        return "No check has run yet, so we cannot say whether your deployment is healthy."
    version = c.deployed_version or c.pushed_version
    if c.health == Health.HEALTHY:
        if version is None:
            return (
                "Your deploy key is accepted and the deployment runs functions; nothing of ours "
                "is deployed there yet."
            )
        if c.health_source == HealthSource.DEPLOY:
            return (
                "The last deploy reached your deployment with your key and recorded our "
                f"version {version} there."
            )
        return (
            "Your deploy key is accepted, the deployment runs functions, and it runs our "
            f"version {version}."
        )
    label = health_label(c)
    if c.consecutive_failures == 0:  # unhealthy, and passing again: not trusted yet
        passed = _times(c.consecutive_successes, "check")
        return f"{label}; {passed} passed since."
    if c.health_source == HealthSource.DEPLOY:
        failures = _times(c.consecutive_failures, "failure")
        return f"{failures} in a row ({label}), the last one a deploy."
    return f"{_times(c.consecutive_failures, 'failed check')} in a row ({label})."
