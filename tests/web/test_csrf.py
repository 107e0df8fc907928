"""Every POST of the settings page needs the CSRF token (htmx sends it via hx-headers)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import User
from byod.models import ConnectionStatus, Deployment
from tests.fixtures.canary import cloud_key
from tests.fixtures.connections import make_connection
from tests.fixtures.people import client_for

pytestmark = [pytest.mark.django_db]

POSTS = ["check", "connect", "redeploy", "credentials", "disconnect"]
FORM = {"url": "https://quiet-lynx-417.convex.cloud", "deploy_key": cloud_key("quiet-lynx-417")}


@pytest.mark.parametrize("name", POSTS)
def test_it_refuses_a_post_without_the_csrf_token(owner: User, name: str) -> None:
    connection = make_connection(owner)
    client = client_for(owner, csrf=True)
    response = client.post(reverse(f"byod:{name}"), FORM)
    assert response.status_code == 403
    response = client.post(reverse(f"byod:{name}"), FORM, headers={"HX-Request": "true"})
    assert response.status_code == 403
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.CONNECTED and connection.has_key
    assert not Deployment.objects.exists()


def test_it_accepts_the_token_htmx_sends_in_a_header(owner: User) -> None:
    connection = make_connection(owner)
    client = client_for(owner, csrf=True)
    page = client.get(reverse("byod:settings")).content.decode()
    match = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page)
    assert match, "base.html sends the CSRF token on every htmx request"
    response = client.post(
        reverse("byod:disconnect"),
        headers={"HX-Request": "true", "X-CSRFToken": match.group(1)},
    )
    assert response.status_code == 200
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.DISCONNECTED
