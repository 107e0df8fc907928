"""/metrics: who may read it (staff holding the permission, a scraper holding the token), and
that everyone else finds nothing there."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import User
from tests.fixtures.metrics import TOKEN, parse
from tests.fixtures.people import client_for, make_user

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def with_token(settings: Any) -> None:
    settings.BYOD_METRICS_TOKEN = TOKEN


def get(client: Client, **headers: str) -> Any:
    return client.get("/metrics", headers=headers)


def operator_without_superpowers(*, may_read: bool) -> User:
    user = make_user("operator")
    user.is_staff, user.is_superuser = True, False
    user.save()
    if may_read:
        user.user_permissions.add(Permission.objects.get(codename="view_metrics"))
    return User.objects.get(pk=user.pk)  # permissions are cached per instance


def test_it_is_not_found_for_an_anonymous_visitor(with_token: None) -> None:
    response = get(client_for(None))
    assert response.status_code == 404
    assert b"byod_" not in response.content


def test_it_is_not_found_for_a_signed_up_user(owner: User) -> None:
    assert get(client_for(owner)).status_code == 404


def test_it_is_not_found_for_staff_without_the_permission() -> None:
    assert get(client_for(operator_without_superpowers(may_read=False))).status_code == 404


def test_it_serves_staff_holding_the_permission() -> None:
    response = get(client_for(operator_without_superpowers(may_read=True)))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-cache" in response["Cache-Control"]
    text = response.content.decode()
    for name in ("byod_tasks_total", "byod_task_seconds", "byod_deploys_finished_total"):
        assert f"# TYPE {name} " in text
    parse(text)  # Prometheus can read it


def test_it_serves_a_superuser(staff: User) -> None:
    assert get(client_for(staff)).status_code == 200


def test_it_serves_a_scraper_with_the_token(with_token: None) -> None:
    response = get(client_for(None), Authorization=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert b"# HELP byod_health_probes_total " in response.content


def test_it_speaks_openmetrics_when_asked(with_token: None) -> None:
    response = get(
        client_for(None),
        Authorization=f"Bearer {TOKEN}",
        Accept="application/openmetrics-text; version=1.0.0",
    )
    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.rstrip().endswith(b"# EOF")


@pytest.mark.parametrize(
    "presented",
    [
        f"Bearer {TOKEN}x",  # wrong token
        f"Bearer {TOKEN[:-1]}",  # a prefix of it
        f"Basic {TOKEN}",  # right token, wrong scheme
        "Bearer ",
        TOKEN,
    ],
)
def test_it_is_not_found_with_a_wrong_token(with_token: None, presented: str) -> None:
    assert get(client_for(None), Authorization=presented).status_code == 404


def test_a_wrong_token_wins_over_a_session(with_token: None, staff: User) -> None:
    # Explicit credentials that are wrong are refused, whoever is logged in.
    assert get(client_for(staff), Authorization="Bearer nope").status_code == 404


def test_no_token_opens_it_when_none_is_set(settings: Any) -> None:
    settings.BYOD_METRICS_TOKEN = ""
    assert get(client_for(None), Authorization="Bearer ").status_code == 404


def test_it_answers_only_get(with_token: None, staff: User) -> None:
    # A POST meets the same 404 as a stranger (not CSRF's 403, which would say it exists).
    client = client_for(staff, csrf=True)
    assert client.post("/metrics").status_code == 404
    scraper = client_for(None, csrf=True)
    assert scraper.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404
    assert client.get("/metrics").status_code == 200


def test_it_is_not_throttled_for_the_scraper(with_token: None) -> None:
    # More scrapes in a minute than any throttle of the site allows (60 per address at most).
    scraper = client_for(None)
    codes = {get(scraper, Authorization=f"Bearer {TOKEN}").status_code for _ in range(70)}
    assert codes == {200}
