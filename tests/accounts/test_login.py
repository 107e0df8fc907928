from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.fixtures.people import PASSWORD

pytestmark = pytest.mark.django_db


def test_it_logs_in_with_the_right_password(client: Client, owner: User) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": owner.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_it_says_clearly_when_the_password_is_wrong(client: Client, owner: User) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": owner.username, "password": "wrong"}
    )
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_it_logs_out_on_post(client: Client, owner: User) -> None:
    client.force_login(owner)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_changes_the_password(client: Client, owner: User) -> None:
    client.force_login(owner)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another long passphrase 9",
            "new_password2": "another long passphrase 9",
        },
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("another long passphrase 9")


def test_it_refuses_a_password_change_with_the_wrong_old_password(
    client: Client, owner: User
) -> None:
    client.force_login(owner)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "nope",
            "new_password1": "another long passphrase 9",
            "new_password2": "another long passphrase 9",
        },
    )
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_it_resets_a_forgotten_password_through_the_emailed_link(
    client: Client, owner: User
) -> None:
    client.post(reverse("accounts:password_reset"), {"email": owner.email})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line)
    path = link.split("testserver", 1)[1]
    response = client.get(path, follow=True)  # Django swaps the token for a session marker
    assert response.status_code == 200
    assert response.context["validlink"]
    set_path = response.redirect_chain[-1][0]
    response = client.post(
        set_path,
        {"new_password1": "a brand new passphrase 3", "new_password2": "a brand new passphrase 3"},
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("a brand new passphrase 3")


def test_it_sends_no_email_for_an_unknown_address(client: Client, owner: User) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "who@example.com"})
    assert response.status_code == 302  # same answer: no account enumeration
    assert mail.outbox == []


@pytest.mark.parametrize(
    "name", ["home", "accounts:login", "accounts:signup", "accounts:password_reset"]
)
def test_public_pages_render(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert b"htmx-2.0.11.min.js" in response.content
    assert b"X-CSRFToken" in response.content


def test_it_sends_anonymous_users_to_log_in_before_changing_a_password(client: Client) -> None:
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
