"""Odd query strings on the admin lists answer a page, never a 500 (staff only, still ours)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from tests.fixtures.connections import make_connection, make_deployment
from tests.fixtures.people import client_for

pytestmark = pytest.mark.django_db

LISTS = ["connection", "deployment", "event"]


@pytest.mark.parametrize("model", LISTS)
@pytest.mark.parametrize(
    "query",
    [
        "created_at__year=99999",
        "created_at__year=2026&created_at__month=13",
        "created_at__year=2026&created_at__month=2&created_at__day=30",
        "created_at__year=-1",
        "created_at__gte=not-a-date",
        "deployed_version=abc",
        "id__in=1,x",
        "o=999",
    ],
)
def test_odd_lookups_on_admin_lists_never_fail(
    staff: User, owner: User, model: str, query: str
) -> None:
    make_deployment(make_connection(owner))
    response = client_for(staff).get(f"{reverse(f'admin:byod_{model}_changelist')}?{query}")
    assert response.status_code in (200, 302), (model, query, response.status_code)


@pytest.mark.parametrize("query", ["date_joined__year=99999", "last_login__year=-1"])
def test_odd_lookups_on_the_user_list_never_fail(staff: User, query: str) -> None:
    response = client_for(staff).get(f"{reverse('admin:accounts_user_changelist')}?{query}")
    assert response.status_code in (200, 302), (query, response.status_code)
