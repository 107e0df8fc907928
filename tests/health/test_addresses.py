"""Where mails go: users created in the admin get an address on the add form, and every user
sets theirs on the settings page; a page never says "we write to" nobody."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.fixtures.connections import make_connection
from tests.fixtures.people import PASSWORD, client_for

pytestmark = [pytest.mark.django_db]

PAGE = "/database/"
NOTIFICATIONS = "/database/notifications/"


def test_the_admin_add_form_asks_for_an_address(staff_client: Client) -> None:
    add = reverse("admin:accounts_user_add")
    assert 'name="email"' in staff_client.get(add).content.decode()
    answer = staff_client.post(
        add,
        {
            "username": "made-by-staff",
            "email": "made@example.com",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert User.objects.get(username="made-by-staff").email == "made@example.com"


def test_a_user_without_an_address_is_asked_for_one(db: None) -> None:
    nobody = User.objects.create_user("no-address", "", PASSWORD)
    make_connection(nobody)
    client = client_for(nobody)
    html = client.get(PAGE).content.decode()
    assert "(no address on your account)" not in html
    assert "There is no email address on your account" in html
    assert "Send me these emails" not in html  # no ticked box for mails nobody can get
    answer = client.post(NOTIFICATIONS, {"email": "found@example.com", "email_notifications": "on"})
    assert answer.status_code == 302
    nobody.refresh_from_db()
    assert nobody.email == "found@example.com"
    html = client.get(PAGE).content.decode()
    assert "We write to <strong>found@example.com</strong>" in html
    assert "We will email you at found@example.com about your database." in html


def test_a_user_changes_the_address_on_the_settings_page(owner: User, owner_client: Client) -> None:
    make_connection(owner)
    owner_client.post(NOTIFICATIONS, {"email": "moved@example.com", "email_notifications": "on"})
    owner.refresh_from_db()
    assert owner.email == "moved@example.com"


def test_a_bad_address_is_refused_and_kept_out(owner: User, owner_client: Client) -> None:
    make_connection(owner)
    answer = owner_client.post(
        NOTIFICATIONS, {"email": "not an address", "email_notifications": "on"}, follow=True
    )
    assert "Enter a valid email address." in answer.content.decode()
    owner.refresh_from_db()
    assert owner.email == "owner@example.com"
