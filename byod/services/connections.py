"""Connecting a user's Convex deployment: check, store (sealed), update, disconnect.

Views, admin and commands call these functions; nothing else writes a deploy key, and keys
are sealed and opened only through ``byod.keys``.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from byod import keys, package, transitions
from byod.clients import Purpose, client_for_credentials
from byod.errors import (
    PROTOCOL_ERROR,
    UNREACHABLE,
    ByodError,
    ConvexError,
    ForeignTablesError,
    InputError,
)
from byod.guard import guard_destination, is_public_address
from byod.inputs import DeployKey, DeploymentUrl, parse_deploy_key, parse_url
from byod.models import Connection, ConnectionStatus, DeploymentTrigger
from byod.services import releases
from byod.services.deploys.run import request_deploy

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)

META_TABLE = "byodMeta"  # our package's own table (byod.package.meta)

# An allow-listed host on a private address (a self-hosted deployment on the operator's network,
# the emulator on 127.0.0.1:* in development): until Convex itself has answered, every failure
# reads the same and takes the same time, so "Check connection" cannot tell a closed port, an
# open one and another web server apart (no port scan of the server's network through it).
PRIVATE_CHECK_SECONDS = 5.0
NOT_REACHED = (
    "We could not reach the Convex deployment of this key at this address. Check the URL and "
    "its port, that the deployment is running, and that the key is the one generated for it."
)


@dataclass
class CredentialCheck:
    """The outcome of checking a URL and deploy key against the deployment."""

    ok: bool
    error: ByodError | None = None
    deployment_name: str | None = None
    foreign_tables: list[str] = field(default_factory=list)
    url: DeploymentUrl | None = None
    read_only: bool = False

    @property
    def message(self) -> str:
        return self.error.user_message if self.error is not None else ""


@sensitive_variables("deploy_key", "key", "client")
def check_credentials(url: str, deploy_key: str) -> CredentialCheck:
    """Parse both inputs, check the key, and look at what the deployment already holds (its
    schema, and tables holding documents without one). The client applies the SSRF guard.

    Never raises for bad input or a failing deployment: the outcome is in ``.error``. On a
    private address (`private_destination`), a failure before Convex answered is one error
    (`NOT_REACHED`) after `PRIVATE_CHECK_SECONDS`, whatever it was.
    """
    try:
        parsed_url = parse_url(url)
        key = parse_deploy_key(deploy_key, parsed_url)
    except InputError as exc:
        return CredentialCheck(ok=False, error=exc)
    private = private_destination(parsed_url)
    started = time.monotonic()
    check, convex_answered = _check(parsed_url, key, private=private)
    if private and check.error is not None and not convex_answered:
        log.info("credential check for %s failed: %s (not shown)", parsed_url.url, check.error)
        _wait_until(started + PRIVATE_CHECK_SECONDS)
        unreached = InputError("url", NOT_REACHED, category_code=UNREACHABLE)
        return CredentialCheck(ok=False, error=unreached, url=parsed_url)
    return check


def private_destination(url: DeploymentUrl) -> bool:
    """Whether `url` is an allow-listed host that resolves to a private (non-public) address."""
    if not url.self_hosted:
        return False
    try:
        addresses = guard_destination(url)
    except ByodError:
        return False  # refused or not found: the client says so, as for any host
    return any(not is_public_address(ipaddress.ip_address(a)) for a in addresses)


def _wait_until(deadline: float) -> None:
    time.sleep(max(0.0, deadline - time.monotonic()))


@sensitive_variables("key", "client")
def _check(url: DeploymentUrl, key: DeployKey, *, private: bool) -> tuple[CredentialCheck, bool]:
    """The check, and whether Convex itself answered (a Convex error code, or a key accepted)."""
    parsed_url, answered = url, False
    timeout = PRIVATE_CHECK_SECONDS if private else None
    try:
        with client_for_credentials(
            parsed_url, key.value, purpose=Purpose.CHECK, timeout=timeout
        ) as client:
            if key.kind == "self_hosted":
                # Asked before the key is sent anywhere (the name needs no key).
                instance = client.instance_name()
                if instance != key.deployment_name:
                    return CredentialCheck(
                        ok=False,
                        url=parsed_url,
                        error=InputError(
                            "deploy_key",
                            f"This admin key is for instance {key.deployment_name!r}, but the "
                            f"deployment at {parsed_url.url} is {instance!r}. Use the admin key "
                            "generated for this deployment.",
                        ),
                    ), False
            try:
                answer = client.check_admin_key()
            except ConvexError as error:
                answered = error.code is not None
                raise
            answered = answer.get("success") is True
            if private and not answered:
                raise ConvexError(PROTOCOL_ERROR, "check_admin_key: not an answer of Convex")
            read_only = bool(answer.get("isReadOnly"))
            if read_only:
                return CredentialCheck(
                    ok=False,
                    url=parsed_url,
                    deployment_name=key.deployment_name,
                    read_only=True,
                    error=InputError(
                        "deploy_key",
                        "This key is read-only, so it cannot deploy. Generate a deploy key "
                        "(not a read-only key) in the Convex dashboard and paste it here.",
                    ),
                ), True
            schema = client.get_schema()
            holding_documents = client.tables_with_documents()
    except ByodError as exc:  # the deployment's answer, or the client's own guard
        log.info("credential check for %s failed: %s", parsed_url.url, exc.category)
        return CredentialCheck(ok=False, error=exc, url=parsed_url), answered
    return CredentialCheck(
        ok=True,
        url=parsed_url,
        deployment_name=key.deployment_name,
        foreign_tables=foreign_tables(schema, holding_documents),
    ), True


def foreign_tables(schema: dict[str, Any] | None, holding_documents: list[str]) -> list[str]:
    """Tables that belong to another project: in the active schema export, or holding
    documents without one (data imported with no schema is still someone's data).

    A deployment that runs our package (any version) has our meta table; then only tables
    we do not define are foreign. Without it, every table is foreign, even one whose name
    matches ours: another project's ``notes`` need not fit our validators.
    """
    tables = schema.get("tables") if isinstance(schema, dict) else None
    names = {
        str(t["tableName"])
        for t in (tables if isinstance(tables, list) else [])
        if isinstance(t, dict) and t.get("tableName")
    } | set(holding_documents)
    if META_TABLE not in names:
        return sorted(names)
    ours = package_table_names()
    return sorted(name for name in names if name not in ours)


def package_table_names() -> set[str]:
    """Names of the tables our package defines (its current version)."""
    exported = package.schema_export()
    return {str(t["tableName"]) for t in exported.get("tables", [])}


@sensitive_variables("deploy_key", "sealed")
def connect(
    user: User,
    url: str,
    deploy_key: str,
    *,
    actor: User | None,
    confirm_foreign: bool = False,
    trigger: str = DeploymentTrigger.USER,
    is_main: bool = False,
) -> Connection:
    """Validate the credentials, store them encrypted and request a deploy. `is_main`: the
    main deployment's connection (`byod.services.main_deployment`).

    Raises a ByodError: an InputError, a ConvexError or ForeignTablesError (unless
    ``confirm_foreign``). A user who already has a connection gets its credentials replaced
    (``update_credentials``).
    """

    @sensitive_variables("deploy_key")
    def replace_credentials_of(existing: Connection) -> Connection:
        return update_credentials(
            existing,
            url,
            deploy_key,
            actor=actor,
            confirm_foreign=confirm_foreign,
            trigger=trigger,
        )

    existing = Connection.objects.filter(user=user).first()
    if existing is not None:
        return replace_credentials_of(existing)
    check = _checked(url, deploy_key, confirm_foreign=confirm_foreign)
    assert check.url is not None
    sealed = keys.seal_deploy_key(deploy_key, owner=user.external_id)
    try:
        with transaction.atomic():
            connection = Connection.objects.create(
                user=user,
                url=check.url.url,
                deployment_name=check.deployment_name or "",
                key_ciphertext=sealed.ciphertext,
                key_id=sealed.key_id,
                key_changed_at=timezone.now(),
                status=ConnectionStatus.PENDING,
                is_main=is_main,
            )
            transitions.connection_created(connection, actor=actor)
            request_deploy(connection, trigger=trigger, actor=actor)
    except IntegrityError:
        existing = Connection.objects.filter(user=user).first()
        if existing is None:
            raise
        # A second request for the same user (a double submit) created it meanwhile.
        return replace_credentials_of(existing)
    return connection


@sensitive_variables("deploy_key", "sealed")
def update_credentials(
    connection: Connection,
    url: str,
    deploy_key: str,
    *,
    actor: User | None,
    confirm_foreign: bool = False,
    trigger: str = DeploymentTrigger.USER,
) -> Connection:
    """Replace the URL and/or key of a connection (also reconnects a disconnected one).

    A deploy is requested unless only the key changed on a healthy, up-to-date connection.
    """
    check = _checked(url, deploy_key, confirm_foreign=confirm_foreign)
    assert check.url is not None
    sealed = keys.seal_deploy_key(deploy_key, owner=connection.user.external_id)
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        # A deploy belongs to the destination it started with: one under way is superseded
        # by a deploy with the new credentials.
        busy = connection.deployments.active().exists()
        # What the user's deploy brings: never a version no rollout offered them.
        version = releases.version_for_user(connection)
        nothing_to_deploy = (
            connection.url == check.url.url
            and connection.status == ConnectionStatus.CONNECTED
            and connection.deployed_version == version
            and not busy
        )
        transitions.mark_credentials_changed(
            connection,
            actor=actor,
            sealed=sealed,
            url=check.url.url,
            deployment_name=check.deployment_name or "",
            keep_status=nothing_to_deploy,
        )
        if not nothing_to_deploy:
            request_deploy(
                connection, trigger=trigger, actor=actor, version=version, supersede=True
            )
    return connection


def disconnect(connection: Connection, *, actor: User | None) -> Connection:
    """Erase the key at once and mark the connection disconnected; the data stays put."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        transitions.mark_disconnected(connection, actor=actor)
    return connection


# --- helpers ---------------------------------------------------------------------------------


@sensitive_variables("deploy_key")
def _checked(url: str, deploy_key: str, *, confirm_foreign: bool) -> CredentialCheck:
    check = check_credentials(url, deploy_key)
    if check.error is not None:
        raise check.error
    if check.foreign_tables and not confirm_foreign:
        raise ForeignTablesError(check.foreign_tables)
    return check
