"""Actions that make the server call out, and logging in, are throttled per user and address.

Without it "Check connection" worked as a port scanner through a wide self-hosted allow-list,
and login took 60 wrong passwords, then the right one. A throttled request gets a message
saying how long to wait, never a 500.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.deploy.sandbox import PRELUDE, ROOT, Sandbox
from tests.fixtures.people import PASSWORD, client_for, make_user

HTMX = {"HX-Request": "true"}
FORM = {"url": "https://happy-otter-123.convex.cloud", "deploy_key": "not a key"}


@pytest.fixture
def low_limits(settings: Any) -> None:
    settings.BYOD_THROTTLES = {
        "callout:user": (3, 60),
        "callout:address": (5, 60),
        "login:username": (4, 900),
        "login:address": (10, 900),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["byod:check", "byod:connect"])
def test_checks_are_throttled_per_user_with_the_wait_in_the_message(
    owner: User, low_limits: None, action: str
) -> None:
    client = client_for(owner)
    for _ in range(3):
        assert client.post(reverse(action), FORM).status_code == 422  # refused input, counted
    throttled = client.post(reverse(action), FORM)
    assert throttled.status_code == 429
    text = throttled.content.decode()
    assert "Too many attempts" in text and "seconds" in text
    with_htmx = client.post(reverse(action), FORM, headers=HTMX)
    assert with_htmx.status_code == 200  # htmx swaps only 2xx: the form, with the message
    assert "Too many attempts" in with_htmx.content.decode()


@pytest.mark.django_db
def test_checks_are_throttled_per_address_across_users(low_limits: None) -> None:
    users = [make_user(f"user{i}") for i in range(3)]
    codes = [
        client_for(user).post(reverse("byod:check"), FORM).status_code
        for user in users
        for _ in range(2)
    ]
    assert codes == [422] * 5 + [429]


@pytest.mark.django_db
def test_login_stops_taking_passwords_after_a_few_wrong_ones(low_limits: None) -> None:
    make_user("alice")
    client = Client()
    for _ in range(4):
        wrong = client.post(reverse("accounts:login"), {"username": "alice", "password": "x"})
        assert wrong.status_code == 200
    right = client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    assert right.status_code == 429
    assert "Too many attempts" in right.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from another address is not affected.
    make_user("bob")
    other = Client(REMOTE_ADDR="10.9.8.7")
    ok = other.post(reverse("accounts:login"), {"username": "bob", "password": PASSWORD})
    assert ok.status_code == 302


@pytest.mark.slow
def test_hits_from_several_processes_at_once_are_all_counted(tmp_path: Path) -> None:
    sandbox = Sandbox(tmp_path)
    hammer = PRELUDE + (
        "from accounts import throttle\n"
        "for _ in range(25):\n"
        "    throttle.hit('test', 'shared', limit=1000, per_seconds=10**9)\n"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", hammer], cwd=ROOT, env=sandbox.env)
        for _ in range(4)
    ]
    assert [p.wait(timeout=120) for p in processes] == [0, 0, 0, 0]
    counted = sandbox.python(
        "from accounts import throttle\n"
        "result = throttle.hit('test', 'shared', limit=1000, per_seconds=10**9).hits\n"
    )
    assert counted == 101
