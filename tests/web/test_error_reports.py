"""A 500 while a deploy key is in hand shows it neither on the debug page nor in the error mail.

Django's debug page and the mail sent to ADMINS list the POST data and every frame's local
variables; the views, forms and functions that hold a key are marked sensitive so both hide it.
Each test forces an exception at a point where the key is in flight.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from byod import keys
from byod.client import ConvexClient
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_emulator_hosts")]


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("forced failure for the test")


# Where each action meets the key: deep in the check (after parsing it), and while sealing it.
BREAKS = {
    "byod:check": (ConvexClient, "check_admin_key"),
    "byod:connect": (keys, "seal_deploy_key"),
}


def post_and_fail(user: User, action: str, deployment: EmulatorDeployment) -> Any:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client.post(reverse(action), {"url": deployment.url, "deploy_key": deployment.admin_key})


def secret_of(deployment: EmulatorDeployment) -> str:
    return deployment.admin_key.split("|", 1)[1]


@pytest.mark.parametrize("action", sorted(BREAKS))
def test_the_debug_page_of_a_500_never_shows_the_key(
    owner: User,
    convex_deployment: EmulatorDeployment,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    action: str,
) -> None:
    settings.DEBUG = True
    monkeypatch.setattr(*BREAKS[action], boom)
    response = post_and_fail(owner, action, convex_deployment)
    assert response.status_code == 500
    page = response.content.decode()
    assert "forced failure for the test" in page  # it is the debug page, with its details
    assert secret_of(convex_deployment) not in page


@pytest.mark.parametrize("action", sorted(BREAKS))
def test_the_error_mail_of_a_500_never_carries_the_key(
    owner: User,
    convex_deployment: EmulatorDeployment,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    action: str,
) -> None:
    settings.DEBUG = False
    settings.ADMINS = ["ops@example.com"]
    monkeypatch.setattr(*BREAKS[action], boom)
    response = post_and_fail(owner, action, convex_deployment)
    assert response.status_code == 500
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    texts = [sent.subject, str(sent.body)]
    texts += [str(part[1]) for part in getattr(sent, "attachments", [])]
    texts += [str(content) for content, _ in getattr(sent, "alternatives", [])]
    assert "forced failure for the test" in "\n".join(texts)
    assert secret_of(convex_deployment) not in "\n".join(texts)


def test_the_filter_hides_key_shaped_values_in_any_frame_and_marked_ones_in_ours() -> None:
    import sys

    from django.views.decorators.debug import sensitive_variables

    from byodsite.error_reports import SecretsFilter

    def library_code(value: str) -> Any:  # a frame nobody decorated
        return sys._getframe()

    @sensitive_variables("token")
    def our_code(token: str) -> Any:
        return library_code("harmless")

    frame = library_code("prod:happy-otter-123|abcdefghijklmnopqrstuvwx")
    shown = dict(SecretsFilter().get_traceback_frame_variables(None, frame))
    assert "happy-otter" not in str(shown["value"])
    inner = our_code("0123456789")  # not key-shaped: only the decorator hides it
    outer = inner.f_back
    assert dict(SecretsFilter().get_traceback_frame_variables(None, outer))["token"] != "0123456789"
