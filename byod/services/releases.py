"""Which version a user may have: a version reaches users only through its rollout.

Nothing tells or offers a user a version (the settings page's banner and "Update now", the
"version available" mail, the notes of the versions) until a rollout offers it to them: the
canary first, then each wave as it is reached, everyone once the rollout is opened (at a point
the operator chose, or when it completes). A pause holds the offer; an abort withdraws it from
those not reached. A connection never deployed (a new user) gets the current version, as the
first deploy of a connect always did. The rule itself is one QuerySet word,
``ConnectionQuerySet.with_offer``; this module applies it to one connection.

A person's own deploy (Update now, Redeploy, Retry, new credentials) brings the version offered
to them when it is newer than theirs, else the version they run (or the one whose deploy
failed, to retry it): never one nobody offered them. Operators' deploys (admin actions,
`byod_deploy`) name their version and are not offers.
"""

from __future__ import annotations

from byod import package
from byod.models import Connection, DeploymentStatus


def offered_version(connection: Connection) -> int | None:
    """The version the user of `connection` may deploy on their own (None: none is offered)."""
    if connection.deployed_version is None:
        return package.current_version()
    found = Connection.objects.filter(pk=connection.pk).with_offer().first()
    offered: int | None = getattr(found, "offered_version", None)
    return offered


def is_offered(connection: Connection, version: int) -> bool:
    """Whether a rollout (or, for a connection never deployed, the current version) offers
    `version` to this connection now."""
    return offered_version(connection) == version


def offered_update(connection: Connection) -> int | None:
    """The offered version when it is newer than what the connection runs (an update the
    page may show and the user may start), else None."""
    deployed = connection.deployed_version
    if deployed is None:
        return None
    offered = offered_version(connection)
    return offered if offered is not None and offered > deployed else None


def version_for_user(connection: Connection) -> int:
    """The version a person's own deploy of `connection` brings: never older than what the
    deployment holds (what it runs, or the expanded schema of a version it was moving to),
    the version of the last deploy when that failed (retrying it is the same deploy again),
    the offered update when there is one; the current version for a connection never
    deployed."""
    if connection.deployed_version is None:
        return package.current_version()
    candidates = [connection.deployed_version, connection.migrating_version]
    last = connection.deployments.real().order_by("-created_at", "-id").first()
    if last is not None and last.status == DeploymentStatus.FAILED:
        candidates.append(last.to_version)
    candidates.append(offered_update(connection))
    return max(v for v in candidates if v is not None)
