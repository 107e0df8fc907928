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


@pytest.mark.parametrize(
    "report_filter",
    [
        "byodsite.error_reports.SecretsFilter",  # ours: key-shaped values hidden in any frame
        "django.views.debug.SafeExceptionReporterFilter",  # Django's: only what is marked
    ],
)
def test_a_failure_inside_the_transport_shows_neither_the_key_header_nor_the_body(
    report_filter: str,
) -> None:
    """The frame that sends holds the Authorization header and a push body ending with the
    key; an unexpected exception there (here, a path that is not ASCII) must not show them on
    the debug page or in the error mail, even with Django's own filter (so the frame itself is
    marked, not only caught by the shape of a key)."""
    import sys

    from django.utils.module_loading import import_string
    from django.views.debug import ExceptionReporter

    from byod.inputs import parse_url
    from tests.fixtures.canary import assert_no_canary, self_hosted_key

    class Secret:  # holds the key where no frame's locals show it (an opaque repr)
        def __init__(self) -> None:
            self._key = self_hosted_key("report")

        def body(self) -> bytes:
            return b'{"modules": [], "adminKey": "' + self._key.encode() + b'"}'

    def send_with_a_key(client: ConvexClient) -> None:
        client._call("POST", "/api/é", operation="test", encoded=Secret().body())

    client = ConvexClient(parse_url("http://127.0.0.1:9"), self_hosted_key("report"))
    try:
        send_with_a_key(client)
    except UnicodeEncodeError:
        reporter = ExceptionReporter(None, *sys.exc_info())
        # Set here, not through the setting: Django caches the default filter per process.
        reporter.filter = import_string(report_filter)()
        report = reporter.get_traceback_html()
    else:
        raise AssertionError("a non-ASCII path should not be sent")
    assert "in _send" in report and "headers" in report  # the sending frame and its locals
    assert_no_canary(report)
