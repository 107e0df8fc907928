"""The words statuses are spelled with: a leaf every model module imports.

`ConnectionStatus` is the deploy side (changed by `byod.transitions.connection` and
`deployment`), `Health` what the probes found (changed by `byod.transitions.health`); the
QuerySet words of each live with their model (`connection.py`, `health.py`). A rollout's and
its members' statuses are here too, because what a rollout offers to a connection is a word of
the connection's QuerySet (`ConnectionQuerySet.with_offer`).
"""

from __future__ import annotations

from django.db import models


class ConnectionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DEPLOYING = "deploying", "Deploying"
    CONNECTED = "connected", "Connected"
    ERROR = "error", "Error"
    DISCONNECTED = "disconnected", "Disconnected"


class Health(models.TextChoices):
    UNKNOWN = "unknown", "Not checked yet"
    HEALTHY = "healthy", "Healthy"
    DEGRADED = "degraded", "Degraded"
    UNHEALTHY = "unhealthy", "Unhealthy"


class RolloutStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    ABORTED = "aborted", "Aborted"


class MemberState(models.TextChoices):
    PENDING = "pending", "Not reached yet"
    STARTED = "started", "Deploy started"
    SKIPPED = "skipped", "Already on the version"
    CANCELLED = "cancelled", "Cancelled (rollout aborted)"


class HealthSource(models.TextChoices):
    """What made the last judgement of a connection's health: a probe, or a deploy (a deploy
    meets the same key, functions and version a probe looks at)."""

    CHECK = "check", "A health check"
    DEPLOY = "deploy", "A deploy"
    REQUEST = "request", "A request for content"


class LeaseKind(models.TextChoices):
    """What holds a connection's lease (`Connection.lease_kind`): a deploy or a move of content,
    never both at once (one lease per connection)."""

    DEPLOY = "deploy", "A deploy"
    MOVE = "move", "A move of content"
