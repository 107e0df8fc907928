"""The content page's tests run against the emulator as the **main deployment**: our package
(the current build, with its data functions) pushed once per session to a template deployment,
copied for each test, and registered as the main deployment. Two users keep their content there:
`owner` (A) and `other_user` (B)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.test import Client

from accounts.models import User
from byod import package
from byod.builds import BUILDS_DIR
from byod.keys import seal_deploy_key
from byod.models import Connection
from tests.emulator.convex_cli import push
from tests.fixtures.canary import self_hosted_key
from tests.fixtures.emulator import Emulator, EmulatorDeployment
from tests.fixtures.people import client_for, make_user

CURRENT = package.current_version()


@pytest.fixture(scope="session")
def package_template(convex_emulator: Emulator) -> Iterator[EmulatorDeployment]:
    """A deployment running the current build of our package (pushed once per session)."""
    name = f"tpl-{secrets.token_hex(4)}"
    template = convex_emulator.create_deployment(
        name, admin_key=self_hosted_key(name), backfill_ms=0
    )
    request = json.loads((BUILDS_DIR / f"v{CURRENT}" / "push_request.json").read_text())
    with httpx.Client(timeout=120) as http:
        outcome = push(http, template.url, template.admin_key, request)
    assert outcome["finish"] is not None and outcome["finish"].status_code == 200, outcome
    try:
        yield template
    finally:
        convex_emulator.delete_deployment(template.name)


@pytest.fixture
def main_deployment(
    convex_emulator: Emulator, package_template: EmulatorDeployment, allow_emulator_hosts: None
) -> Iterator[EmulatorDeployment]:
    """A fresh copy of the template, empty of content, registered as the main deployment."""
    name = f"main-{secrets.token_hex(4)}"
    dep = convex_emulator.create_deployment(
        name, admin_key=self_hosted_key(name), copy_of=package_template.name, backfill_ms=0
    )
    register_main(dep)
    try:
        yield dep
    finally:
        convex_emulator.delete_deployment(dep.name)


def register_main(dep: EmulatorDeployment, **fields: Any) -> Connection:
    """The main deployment's connection row, as `byod_main_deployment` leaves it after its
    deploy: owned by the system user, `is_main`, running the current version, healthy.
    `fields` override columns (`user=`, `is_main=False`: a user's own deployment instead)."""
    owner = fields.pop("user", None) or (
        User.objects.filter(username="byod-main").first() or make_user("byod-main")
    )
    sealed = seal_deploy_key(dep.admin_key, owner=owner.external_id)
    values: dict[str, Any] = {
        "url": dep.url,
        "deployment_name": dep.name,
        "key_ciphertext": sealed.ciphertext,
        "key_id": sealed.key_id,
        "status": "connected",
        "deployed_version": CURRENT,
        "pushed_version": CURRENT,
        "health": "healthy",
        "is_main": True,
    }
    values.update(fields)
    return Connection.objects.create(user=owner, **values)


@pytest.fixture
def alice(owner: User) -> User:
    return owner


@pytest.fixture
def bob(other_user: User) -> User:
    return other_user


@pytest.fixture
def as_alice(alice: User, main_deployment: EmulatorDeployment) -> Client:
    return client_for(alice)


@pytest.fixture
def as_bob(bob: User, main_deployment: EmulatorDeployment) -> Client:
    return client_for(bob)
