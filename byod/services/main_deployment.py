"""The main deployment: the operator's own Convex deployment, holding every user without their own.

Configured by ``BYOD_MAIN_DEPLOYMENT_URL`` and ``BYOD_MAIN_DEPLOYMENT_KEY_FILE``, registered by
``manage.py byod_main_deployment`` as a `Connection` with ``is_main`` owned by a system user
(inactive, no password), so deploys, rollouts, health checks and the admin treat it as any
deployment. Registering is idempotent: the same URL and key change nothing; a new URL or key
replaces the credentials (and requests a deploy when one is needed), as for a user.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from accounts.models import User
from byod import keys
from byod.conf import conf
from byod.errors import ByodError, InputError
from byod.models import Connection, DeploymentTrigger
from byod.services import connections

SYSTEM_USERNAME = "byod-main-deployment"


@dataclass(frozen=True)
class Registered:
    connection: Connection
    changed: bool  # created, or its credentials replaced


def system_user() -> User:
    """The user owning the main deployment's connection (never logs in)."""
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=SYSTEM_USERNAME, defaults={"is_active": False, "email": ""}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
    return user


@sensitive_variables("key")
def read_key(path: str) -> str:
    """The deploy key in the file `path` (its first line), or InputError."""
    try:
        key = Path(path).read_text().strip()
    except OSError as exc:
        raise InputError("key_file", f"cannot read the key file ({exc.strerror})") from None
    if not key or "\n" in key:
        raise InputError("key_file", "the key file must hold the deploy key on one line")
    return key


@sensitive_variables("key")
def register(*, confirm_foreign: bool = False) -> Registered:
    """Register (or update) the main deployment from the settings. InputError when no main
    deployment is configured; any ByodError of connecting otherwise."""
    settings = conf().data
    if not settings.main_deployment_url:
        raise InputError("url", "BYOD_MAIN_DEPLOYMENT_URL is not set: no main deployment")
    key = read_key(settings.main_deployment_key_file)
    existing = Connection.objects.filter(is_main=True).first()
    if existing is None:
        made = connections.connect(
            system_user(),
            settings.main_deployment_url,
            key,
            actor=None,
            confirm_foreign=confirm_foreign,
            trigger=DeploymentTrigger.COMMAND,
            is_main=True,
        )
        return Registered(made, changed=True)
    if existing.url == settings.main_deployment_url.rstrip("/") and _same_key(existing, key):
        return Registered(existing, changed=False)
    updated = connections.update_credentials(
        existing,
        settings.main_deployment_url,
        key,
        actor=None,
        confirm_foreign=confirm_foreign,
        trigger=DeploymentTrigger.COMMAND,
    )
    return Registered(updated, changed=True)


@sensitive_variables("key", "stored")
def _same_key(connection: Connection, key: str) -> bool:
    try:
        stored = keys.open_deploy_key(connection)
    except ByodError:
        return False
    return stored == key
