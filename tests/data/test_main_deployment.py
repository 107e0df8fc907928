"""`manage.py byod_main_deployment`: the operator's main deployment, registered from settings."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from byod.models import Connection, ContentLocation
from byod.services.main_deployment import SYSTEM_USERNAME
from tests.data.conftest import main_at
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("byod_main_deployment", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def configured(
    settings: Any, tmp_path: Path, canary_deployment: EmulatorDeployment
) -> EmulatorDeployment:
    key_file = tmp_path / "main.key"
    key_file.write_text(canary_deployment.admin_key + "\n")
    settings.BYOD_MAIN_DEPLOYMENT_URL = canary_deployment.url
    settings.BYOD_MAIN_DEPLOYMENT_KEY_FILE = str(key_file)
    return canary_deployment


def test_it_registers_the_main_deployment_once(configured: EmulatorDeployment) -> None:
    said = run()
    assert "registered or updated" in said
    main = Connection.objects.get(is_main=True)
    assert main.url == configured.url and main.user.username == SYSTEM_USERNAME
    assert not main.user.is_active and not main.user.has_usable_password()
    assert main.deployments.count() == 1  # a deploy was requested, as for any user
    assert not ContentLocation.objects.exists()  # nobody's content moved anywhere
    again = run()
    assert "already registered, unchanged" in again
    assert Connection.objects.filter(is_main=True).count() == 1
    assert main.deployments.count() == 1
    assert_no_canary(said, again, run("--status"))


def test_a_new_key_updates_it(configured: EmulatorDeployment, settings: Any) -> None:
    run()
    Path(settings.BYOD_MAIN_DEPLOYMENT_KEY_FILE).write_text(configured.admin_key + "\n")
    assert "unchanged" in run()
    configured.set_admin_key(configured.admin_key + "0")
    Path(settings.BYOD_MAIN_DEPLOYMENT_KEY_FILE).write_text(configured.admin_key + "\n")
    assert "registered or updated" in run()


def test_without_settings_it_says_so(settings: Any) -> None:
    with pytest.raises(CommandError, match="BYOD_MAIN_DEPLOYMENT_URL is not set"):
        run()
    with pytest.raises(CommandError, match="No main deployment is registered"):
        run("--status")


def test_the_main_deployment_is_checked_and_updated_like_any_other() -> None:
    main = main_at("https://main-one.convex.cloud", deployed_version=2)
    assert main in Connection.objects.due_for_check(timezone.now())
    assert main in Connection.objects.outdated()
