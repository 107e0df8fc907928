"""States that are hard to reach in the full flow: an update available, another project's tables."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from accounts.models import User
from byod.models import Connection
from byod.schema.notes import VersionNotes
from tests.browser.fixtures import log_in, screenshot
from tests.fixtures.connections import (
    FOREIGN_TABLES,
    make_connection,
    offer_to_everyone,
    push_foreign_project,
)
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = [pytest.mark.browser]


def test_an_update_banner_shows_the_changelog(
    browser_page: Any, live_server: Any, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = importlib.import_module("byod.package")
    current = package.current_version()
    monkeypatch.setattr(package.version, "CURRENT_VERSION", current + 1)
    monkeypatch.setattr(
        package.version,
        "CHANGELOG",
        {
            **package.version_notes(),
            current + 1: VersionNotes("tags:add", "Notes get tags and search."),
        },
    )
    page = browser_page
    log_in(page, live_server.url, owner)
    make_connection(owner, deployed_version=current)
    offer_to_everyone(current + 1)
    page.goto(f"{live_server.url}/database/")
    banner = page.inner_text(".update-banner")
    assert f"Version {current} → {current + 1} available" in banner
    assert "Notes get tags and search." in banner
    assert page.is_visible("text=Update now")
    screenshot(page, "14-update-available")


@pytest.mark.usefixtures("allow_emulator_hosts")
def test_another_projects_tables_need_an_explicit_confirmation(
    browser_page: Any, live_server: Any, owner: User, convex_deployment: EmulatorDeployment
) -> None:
    push_foreign_project(convex_deployment)
    pushes = len(convex_deployment.pushes())
    tables = FOREIGN_TABLES
    page = browser_page
    log_in(page, live_server.url, owner)
    page.goto(f"{live_server.url}/database/")
    page.fill("#id_url", convex_deployment.url)
    page.fill("#id_deploy_key", convex_deployment.admin_key)
    page.click("text=Connect and deploy")
    warning = page.wait_for_selector(".foreign-tables")
    assert "This deployment is not empty." in warning.inner_text()
    assert all(table in warning.inner_text() for table in tables)
    screenshot(page, "15-foreign-tables-warning")
    assert not Connection.objects.exists()
    assert len(convex_deployment.pushes()) == pushes
    page.check("input[name=confirm_foreign]")
    page.click("text=Connect and deploy")
    page.wait_for_selector("#byod-progress")
    assert Connection.objects.get().deployment_name == convex_deployment.name
