"""New credentials for a different deployment while the user's content lives in the old one:
the form's side (what is offered, checking the new credentials, queueing the move) and the
first deploy once the move handed the new credentials over. How it works, and why by way of
the main deployment: `byod.services.moves.switching`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.views.decorators.debug import sensitive_variables

from byod import keys
from byod.conf import conf
from byod.errors import ForeignTablesError, NotAllowed
from byod.models import Connection, ContentLocation, DeploymentTrigger, LocationKind, Move
from byod.models import MoveDirection as MD
from byod.services import releases
from byod.services.connections import check_credentials
from byod.services.deploys.run import request_deploy
from byod.services.moves.control import request_move

if TYPE_CHECKING:
    from accounts.models import User


def content_lives_in(connection: Connection) -> bool:
    """The user's content is read and written in `connection`'s deployment now."""
    found = ContentLocation.objects.filter(user_id=connection.user_id).first()
    if found is None or found.kind != LocationKind.OWN:
        return False
    return found.connection_id == connection.pk


def move_offered(connection: Connection) -> tuple[bool, str]:
    """Whether "move it there" is offered, and why not."""
    if not conf().moves.enabled:
        return False, "Moving content is not available on this site yet."
    if not Connection.objects.filter(is_main=True).exists():
        return False, "This site has no main deployment to move your content by."
    return True, ""


@sensitive_variables("deploy_key", "sealed")
def move_to(
    connection: Connection,
    url: str,
    deploy_key: str,
    *,
    actor: User | None,
    confirm_foreign: bool = False,
) -> Move:
    """Check the new credentials, then queue the move back that takes the content on its way
    to them. Raises the check's ByodError, ForeignTablesError, NotAllowed."""
    offered, why = move_offered(connection)
    if not offered:
        raise NotAllowed(f"connection {connection.pk}: switch with move", user_message=why)
    check = check_credentials(url, deploy_key)
    if check.error is not None:
        raise check.error
    if check.foreign_tables and not confirm_foreign:
        raise ForeignTablesError(check.foreign_tables)
    assert check.url is not None
    sealed = keys.seal_deploy_key(deploy_key, owner=connection.user.external_id)
    return request_move(
        connection.user,
        MD.BACK,
        actor=actor,
        switch_url=check.url.url,
        switch_deployment_name=check.deployment_name or "",
        switch_key_ciphertext=sealed.ciphertext,
        switch_key_id=sealed.key_id,
    )


def deploy_switched(sender: Any, *, connection: Connection, actor: User | None, **_: Any) -> None:
    """The receiver of `switching.credentials_switched`: the new deployment's first deploy
    (queued once the move's transaction commits); its success brings the content in."""
    request_deploy(
        connection,
        trigger=DeploymentTrigger.USER,
        actor=actor,
        version=releases.version_for_user(connection),
        supersede=True,
    )
