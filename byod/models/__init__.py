"""Rows of the control plane, one module per kind: connections, deploy attempts, the audit trail,
the history of data migrations, rollouts.

Status fields are changed only through ``byod.transitions`` (which also writes the Event);
other code reads them and may update progress fields.
"""

from __future__ import annotations

from byod.models.connection import Connection, ConnectionQuerySet, outdated_q
from byod.models.deployment import (
    ACTIVE_DEPLOYMENT_STATUSES,
    TERMINAL_DEPLOYMENT_STATUSES,
    Deployment,
    DeploymentQuerySet,
    DeploymentStatus,
    DeploymentTrigger,
    DeployPhase,
    Holder,
)
from byod.models.download import (
    UNFINISHED_DOWNLOAD_STATUSES,
    Download,
    DownloadQuerySet,
    DownloadStatus,
)
from byod.models.event import DEPLOY_EVENTS, HEALTH_EVENTS, MOVE_EVENTS, Event, EventKind
from byod.models.location import ContentLocation, LocationKind
from byod.models.migration_run import MigrationDirection, MigrationRun, MigrationRunStatus
from byod.models.move import (
    FINISHED_MOVE_STATUSES,
    UNFINISHED_MOVE_STATUSES,
    Move,
    MoveDirection,
    MovePhase,
    MoveQuerySet,
    MoveStatus,
)
from byod.models.notification import Notification, NotificationKind, NotificationStatus, Outbox
from byod.models.rollout import (
    FINISHED_ROLLOUT_STATUSES,
    MemberState,
    Rollout,
    RolloutDriver,
    RolloutMember,
    RolloutQuerySet,
    RolloutStatus,
    wave_name,
)
from byod.models.statuses import ConnectionStatus, Health, HealthSource, LeaseKind

__all__ = [
    "ACTIVE_DEPLOYMENT_STATUSES",
    "DEPLOY_EVENTS",
    "FINISHED_MOVE_STATUSES",
    "FINISHED_ROLLOUT_STATUSES",
    "HEALTH_EVENTS",
    "MOVE_EVENTS",
    "TERMINAL_DEPLOYMENT_STATUSES",
    "UNFINISHED_DOWNLOAD_STATUSES",
    "UNFINISHED_MOVE_STATUSES",
    "Connection",
    "ConnectionQuerySet",
    "ConnectionStatus",
    "ContentLocation",
    "DeployPhase",
    "Deployment",
    "DeploymentQuerySet",
    "DeploymentStatus",
    "DeploymentTrigger",
    "Download",
    "DownloadQuerySet",
    "DownloadStatus",
    "Event",
    "EventKind",
    "Health",
    "HealthSource",
    "Holder",
    "LeaseKind",
    "LocationKind",
    "MemberState",
    "MigrationDirection",
    "MigrationRun",
    "MigrationRunStatus",
    "Move",
    "MoveDirection",
    "MovePhase",
    "MoveQuerySet",
    "MoveStatus",
    "Notification",
    "NotificationKind",
    "NotificationStatus",
    "Outbox",
    "Rollout",
    "RolloutDriver",
    "RolloutMember",
    "RolloutQuerySet",
    "RolloutStatus",
    "outdated_q",
    "wave_name",
]
