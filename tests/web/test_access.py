"""Who may use which view of the settings page: anonymous, the owner, another user, staff.

There are no ids in these URLs: every view acts on the requesting user's own connection, so
another user (staff included) can never see or change the owner's."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from byod.models import Connection, ConnectionStatus, Deployment
from tests.fixtures.connections import make_connection
from tests.fixtures.people import client_for

pytestmark = [pytest.mark.django_db]

GET_VIEWS = ["settings", "credentials", "disconnect"]
POST_VIEWS = ["check", "connect", "redeploy", "credentials", "disconnect"]
ALL = [("get", n) for n in GET_VIEWS] + [("post", n) for n in POST_VIEWS] + [("get", "progress")]


@pytest.mark.parametrize(("method", "name"), ALL)
def test_it_sends_anonymous_visitors_to_the_login_page(
    anonymous_client: Client, method: str, name: str
) -> None:
    response = getattr(anonymous_client, method)(reverse(f"byod:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


@pytest.mark.parametrize(("method", "name"), ALL)
def test_it_sends_anonymous_htmx_requests_to_the_login_page_as_a_whole(
    anonymous_client: Client, method: str, name: str
) -> None:
    response = getattr(anonymous_client, method)(
        reverse(f"byod:{name}"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))


def test_it_sends_the_anonymous_visitor_back_to_the_page_after_login(
    anonymous_client: Client,
) -> None:
    response = anonymous_client.get(reverse("byod:settings"))
    assert response["Location"].endswith("?next=%2Fdatabase%2F")


@pytest.mark.parametrize("name", GET_VIEWS)
def test_it_shows_the_owner_their_connection(owner: User, name: str) -> None:
    make_connection(owner)
    response = client_for(owner).get(reverse(f"byod:{name}"))
    assert response.status_code == 200
    assert b"quiet-lynx-417" in response.content


@pytest.mark.parametrize("user_fixture", ["other_user", "staff"])
@pytest.mark.parametrize("name", GET_VIEWS)
def test_it_never_shows_someone_elses_connection(
    request: pytest.FixtureRequest, owner: User, user_fixture: str, name: str
) -> None:
    make_connection(owner)
    user = request.getfixturevalue(user_fixture)
    response = client_for(user).get(reverse(f"byod:{name}"), follow=True)
    assert response.status_code == 200
    assert b"quiet-lynx-417" not in response.content
    assert response.context["page"].state == "not_connected"


@pytest.mark.parametrize("user_fixture", ["other_user", "staff"])
def test_it_lets_no_one_else_disconnect_or_redeploy_the_owners_connection(
    request: pytest.FixtureRequest, owner: User, user_fixture: str
) -> None:
    connection = make_connection(owner)
    client = client_for(request.getfixturevalue(user_fixture))
    for name in ("disconnect", "redeploy"):
        response = client.post(reverse(f"byod:{name}"))
        assert response.status_code == 302
        assert response["Location"] == reverse("byod:settings")
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.CONNECTED
    assert connection.has_key
    assert not Deployment.objects.exists()


@pytest.mark.parametrize("user_fixture", ["other_user", "staff"])
def test_it_never_polls_someone_elses_deploy(
    request: pytest.FixtureRequest, owner: User, user_fixture: str
) -> None:
    connection = make_connection(owner, status=ConnectionStatus.DEPLOYING)
    Deployment.objects.create(connection=connection, to_version=1, trigger="user", phase="push")
    client = client_for(request.getfixturevalue(user_fixture))
    response = client.get(reverse("byod:progress"), headers={"HX-Request": "true"})
    assert response.status_code == 286  # nothing of theirs is deploying: stop polling
    assert b"quiet-lynx-417" not in response.content


def test_it_lets_the_owner_disconnect_their_own_connection(owner: User) -> None:
    connection = make_connection(owner)
    response = client_for(owner).post(reverse("byod:disconnect"))
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.DISCONNECTED
    assert not connection.has_key


def test_it_answers_only_the_methods_each_view_takes(owner_client: Client) -> None:
    assert owner_client.post(reverse("byod:settings")).status_code == 405
    assert owner_client.post(reverse("byod:progress")).status_code == 405
    for name in ("check", "connect", "redeploy"):
        assert owner_client.get(reverse(f"byod:{name}")).status_code == 405
    assert Connection.objects.count() == 0
