from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_it_creates_an_account_and_logs_the_user_in(client: Client) -> None:
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "bob",
            "email": "bob@example.com",
            "password1": "a long enough passphrase 7",
            "password2": "a long enough passphrase 7",
        },
        follow=True,
    )
    assert response.status_code == 200
    user = User.objects.get(username="bob")
    assert response.context["user"] == user
    assert b"Log out bob" in response.content


def test_it_gives_every_user_a_distinct_uuid_external_id(client: Client) -> None:
    a = User.objects.create_user("a", password="x")
    b = User.objects.create_user("b", password="x")
    assert isinstance(a.external_id, uuid.UUID)
    assert a.external_id != b.external_id
    issued = a.external_id
    a.first_name = "Ada"
    a.save()
    assert User.objects.get(pk=a.pk).external_id == issued  # stable: saving keeps the id


def test_it_shows_field_errors_instead_of_failing(client: Client) -> None:
    response = client.post(
        reverse("accounts:signup"),
        {"username": "", "email": "not-an-email", "password1": "x", "password2": "y"},
    )
    assert response.status_code == 200
    assert not User.objects.exists()
    form = response.context["form"]
    assert set(form.errors) >= {"username", "email", "password2"}
    assert b'role="alert"' in response.content


def test_it_refuses_a_taken_username(client: Client, owner: User) -> None:
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": owner.username,
            "email": "c@example.com",
            "password1": "a long enough passphrase 7",
            "password2": "a long enough passphrase 7",
        },
    )
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert User.objects.filter(username=owner.username).count() == 1
