"""Status moves of a Connection: created, credentials changed, connected, error, disconnected."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from byod.models import Connection, ConnectionStatus, DeploymentStatus, Event, EventKind
from byod.transitions.base import (
    _NO_ERROR,
    _move,
    _update_connection,
    record,
)
from byod.transitions.deployment import mark_deploy_cancelled
from byod.transitions.health import NOT_CHECKED
from byod.transitions.location import content_in_main, content_in_own

if TYPE_CHECKING:
    from accounts.models import User
    from byod.keys import Sealed

CS = ConnectionStatus
DS = DeploymentStatus


@transaction.atomic
def connection_created(connection: Connection, *, actor: User | None) -> Event:
    """A connection row was just created (status pending): the user's content is in its
    deployment from now on."""
    event = record(
        connection,
        EventKind.CONNECTION_CREATED,
        f"Connected to {connection.deployment_name or connection.url}.",
        actor=actor,
        data={"url": connection.url, "deployment_name": connection.deployment_name},
    )
    content_in_own(connection, actor=actor)  # told after what caused it, in the history too
    return event


@transaction.atomic
def mark_credentials_changed(
    connection: Connection,
    *,
    actor: User | None,
    sealed: Sealed,
    url: str,
    deployment_name: str,
    keep_status: bool,
) -> None:
    """New URL and/or key stored (already sealed).

    With ``keep_status`` (only the key changed and nothing needs deploying) the status stays;
    otherwise the connection goes to ``pending`` and waits for a deploy.
    """
    now = timezone.now()
    fields: dict[str, Any] = {
        "key_ciphertext": sealed.ciphertext,
        "key_id": sealed.key_id,
        "key_changed_at": now,
        "url": url,
        "deployment_name": deployment_name,
        "consecutive_failures": 0,
        **_NO_ERROR,
        **NOT_CHECKED,  # new credentials: what we knew of the old ones says nothing now
    }
    old_url = connection.url
    if keep_status:
        _update_connection(connection, **fields)
        previous = connection.status
    else:
        if url != old_url:
            # A different deployment: nothing is deployed there as far as we know (nor pushed:
            # a probe would take what we pushed to the old one for drift on the new one).
            fields["deployed_version"] = None
            fields["deployed_package_hash"] = ""
            fields["pushed_version"] = None
            fields["pushed_package_hash"] = ""
        previous = _move(connection, allowed_from=tuple(CS.values), to=CS.PENDING, **fields)
    record(
        connection,
        EventKind.CONNECTION_CREDENTIALS_CHANGED,
        "Deploy key replaced."
        if url == old_url
        else f"Now pointing at {deployment_name or url} (was {old_url}).",
        actor=actor,
        data={"from_status": previous, "to_status": connection.status, "url": url},
    )
    # A reconnect, or another deployment: content is written there from now on.
    content_in_own(connection, actor=actor)


@transaction.atomic
def mark_disconnected(connection: Connection, *, actor: User | None) -> None:
    """Forget the deployment's key at once; the user's data stays in their deployment.

    Cancels any queued or running deploy of the connection first.
    """
    for deployment in connection.deployments.filter(status__in=[DS.QUEUED, DS.RUNNING]):
        mark_deploy_cancelled(deployment, actor=actor, reason="The connection was disconnected.")
        connection.refresh_from_db()
    previous = _move(
        connection,
        allowed_from=tuple(CS.values),
        to=CS.DISCONNECTED,
        key_ciphertext="",
        key_id="",
        key_changed_at=timezone.now(),
        **NOT_CHECKED,  # no key, no checks: what they found says nothing about a reconnect
    )
    record(
        connection,
        EventKind.CONNECTION_DISCONNECTED,
        "Disconnected; the deploy key was erased. Data stays in the deployment.",
        actor=actor,
        data={"from_status": previous},
    )
    content_in_main(connection, actor=actor)
