"""Before connecting, a user whose content is in the main deployment is told it stays there."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from tests.data.conftest import content_in, main_at
from tests.fixtures.people import client_for

STAYS = "stays there for now"


def test_a_user_with_content_in_the_main_deployment_is_told_it_stays_there(
    owner: User, settings: Any
) -> None:
    settings.BYOD_MOVES_ENABLED = False  # on: README "Moving content", tests/moves_ui
    main_at("https://main-one.convex.cloud")
    page = client_for(owner).get("/database/")
    assert page.status_code == 200
    assert STAYS in page.content.decode()


def test_without_a_main_deployment_nothing_is_said(owner: User) -> None:
    page = client_for(owner).get("/database/")
    assert page.status_code == 200
    assert STAYS not in page.content.decode()


def test_a_connected_user_is_not_told(owner: User) -> None:
    main_at("https://main-one.convex.cloud")
    content_in(owner, "https://own-one.convex.cloud")
    page = client_for(owner).get("/database/")
    assert STAYS not in page.content.decode()
