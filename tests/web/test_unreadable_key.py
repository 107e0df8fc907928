"""A stored key we can no longer open: the user is asked for it again, nothing is retried."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from byod.models import Deployment
from byod.services.deploys.run import request_deploy, run_deploy
from tests.fixtures.connections import make_connection
from tests.fixtures.people import client_for

pytestmark = pytest.mark.django_db


def test_an_unreadable_key_fails_at_once_and_asks_the_user_for_the_key(
    owner: User, staff: User
) -> None:
    # Tampered, swapped between users, or sealed with a key id no longer in the ring.
    connection = make_connection(owner, key_ciphertext="bm90IG91cnMgYXQgYWxs", key_id="gone")
    queued = request_deploy(connection, trigger="user", actor=owner)

    run_deploy(queued.pk)

    failed = Deployment.objects.get(pk=queued.pk)
    assert (failed.status, failed.error_category, failed.error_retryable, failed.attempt) == (
        "failed",
        "key_unreadable",
        False,
        1,
    )
    page = client_for(owner).get(reverse("byod:settings")).content.decode()
    assert "Enter your deploy key again" in page
    assert f'action="{reverse("byod:credentials")}"' in page  # the credentials form, open
    assert f'value="{connection.url}"' in page
    assert "Retry now" not in page
    listed = client_for(staff).get(
        reverse("admin:byod_connection_changelist") + "?error=key_unreadable"
    )
    assert owner.username in listed.content.decode()
