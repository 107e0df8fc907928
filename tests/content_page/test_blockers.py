"""When the deployment holding the content cannot be used, the page says why with a blocker
panel per category (its title and what to do, Retry, the settings page, the Convex dashboard
of the user's own deployment), keeps what the user typed in the form, and never reads or
writes anywhere else."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from byod.categories import CATEGORIES
from byod.data import DataError
from byod.models import Connection, ContentLocation
from byod.views.content import base
from byod.views.content.blockers import SAID_FOR_EVERYONE, blocker_for
from byod.views.content.forms import MessageForm
from tests.content_page.conftest import register_main
from tests.content_page.helpers import HTMX, docs_of, op_of, start_conversation, text_of
from tests.fixtures.connections import make_connection
from tests.fixtures.emulator import EmulatorDeployment
from tests.fixtures.people import client_for

TYPED = "A long message I typed & do not want to lose <3"


def bound_message(op: str = "a" * 32) -> MessageForm:
    form = MessageForm({"op": op, "content": TYPED}, form_id="write-form")
    assert form.is_valid()
    return form


@pytest.mark.parametrize("code", sorted(CATEGORIES))
@pytest.mark.parametrize("htmx", [False, True], ids=["no-js", "htmx"])
def test_every_category_renders_a_panel_that_keeps_the_text(
    rf: RequestFactory, alice: User, code: str, htmx: bool
) -> None:
    request: Any = rf.post("/content/c/x/write/", HTTP_HX_REQUEST="true" if htmx else None)
    request.user = alice
    request.htmx = htmx
    form = bound_message()
    answer = base.form_failed(
        request,
        form,
        base.Blocked(DataError(code, "detail for operators"), None),
        form_context={
            "form_id": "write-form",
            "action": "/content/c/x/write/",
            "submit_label": "Send",
            "heading": "Write a message",
            "back_url": "/content/c/x/",
            "back_label": "Back",
        },
    )
    html = text_of(answer)
    assert "A long message I typed &amp; do not want to lose &lt;3" in html
    assert 'value="' + "a" * 32 + '"' in html  # the same operation: a retry writes once
    assert "detail for operators" not in html
    if code in base.FORM_CATEGORIES:
        assert 'role="alert"' in html
    else:
        kind = CATEGORIES[code]
        assert kind.title.replace("'", "&#x27;") in html
        assert 'data-category="' + code + '"' in html
        assert "Retry: Send" in html and reverse("byod:settings") in html
        assert answer.status_code == (200 if htmx else kind.status)


def test_the_panel_links_the_users_own_deployment_in_the_dashboard() -> None:
    own = blocker_for(DataError("paused"), where="own", deployment_name="happy-otter-123")
    assert own.dashboard_url == "https://dashboard.convex.dev/d/happy-otter-123"
    main = blocker_for(DataError("paused"), where="main", deployment_name="ours-1")
    assert main.dashboard_url == "" and not main.offer_update
    update = blocker_for(DataError("update_needed"), where="own", deployment_name="x")
    assert update.offer_update
    assert blocker_for(DataError("moving"), where="own").writes_wait


@pytest.mark.parametrize("code", sorted(CATEGORIES))
def test_on_the_main_deployment_the_panel_never_asks_the_user_to_fix_ours(code: str) -> None:
    panel = blocker_for(DataError(code), where="main", deployment_name="ours-1")
    assert panel.dashboard_url == "" and not panel.offer_update
    if code not in SAID_FOR_EVERYONE:
        assert "dashboard" not in panel.message.lower(), panel.message
        assert "your deployment" not in (panel.title + panel.message).lower()
        assert "our own deployment" in panel.message


def test_without_a_main_deployment_a_user_is_told_not_connected(owner_client: Client) -> None:
    answer = owner_client.get(reverse("content:index"))
    assert answer.status_code == CATEGORIES["not_connected"].status
    assert 'data-category="not_connected"' in text_of(answer)


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        (lambda dep: dep.set_state("paused"), "paused"),
        (lambda dep: dep.set_fault("*", overloaded=True), "overloaded"),
        (lambda dep: dep.set_fault("*", revoked_key=True), "bad_credentials"),
        (lambda dep: dep.set_state("deleted"), "deployment_not_found"),
    ],
    ids=["paused", "overloaded", "key-revoked", "deleted"],
)
def test_a_deployment_that_fails_shows_its_category_and_keeps_the_typed_message(
    as_alice: Client, main_deployment: EmulatorDeployment, setup: Any, code: str
) -> None:
    conv_id = start_conversation(as_alice, "Before the trouble")
    page = text_of(as_alice.get(reverse("content:conversation", args=[conv_id])))
    op = op_of(page, "write-form")
    setup(main_deployment)
    shown = as_alice.get(reverse("content:index"))
    assert f'data-category="{code}"' in text_of(shown), text_of(shown)[:3000]
    assert "Retry" in text_of(shown)
    for extra in ({}, HTMX):
        answer = as_alice.post(
            reverse("content:write", args=[conv_id]), {"op": op, "content": TYPED}, **extra
        )
        html = text_of(answer)
        # Once a failure that says the deployment is down is recorded, the breaker is open:
        # later requests fail at once, without calling, and say why.
        assert f'data-category="{code}"' in html or 'data-category="unavailable_now"' in html
        assert "A long message I typed &amp; do not want to lose &lt;3" in html
        assert op in html


def test_a_deployment_that_never_answers_fails_within_the_web_timeout(
    as_alice: Client, main_deployment: EmulatorDeployment, settings: Any
) -> None:
    settings.BYOD_DATA_WEB_READ_SECONDS = 0.5
    settings.BYOD_DATA_WEB_CALL_SECONDS = 0.5
    settings.BYOD_DATA_WEB_TOTAL_SECONDS = 1
    main_deployment.set_fault("*", hang=True)
    answer = as_alice.get(reverse("content:index"))
    assert 'data-category="timeout"' in text_of(answer)


def test_a_version_without_data_functions_needs_an_update(
    alice: User, convex_emulator: Any, main_deployment: EmulatorDeployment
) -> None:
    own = make_connection(alice, url=main_deployment.url, deployed_version=2, health="healthy")
    ContentLocation.objects.create(
        user=alice, connection=own, kind="own", changed_at=timezone.now()
    )
    answer = client_for(alice).get(reverse("content:index"))
    html = text_of(answer)
    assert 'data-category="update_needed"' in html
    assert reverse("byod:redeploy") in html and "Update now" in html
    assert "https://dashboard.convex.dev/d/quiet-lynx-417" in html


def test_an_unhealthy_main_deployment_fails_fast_without_a_call(
    as_alice: Client, main_deployment: EmulatorDeployment
) -> None:
    Connection.objects.filter(is_main=True).update(health="unhealthy", health_reason="paused")
    main_deployment.reset_calls()
    answer = as_alice.get(reverse("content:index"))
    assert 'data-category="unavailable_now"' in text_of(answer)
    assert main_deployment.calls()["requests"] == 0


def test_a_users_own_deployment_down_is_never_replaced_by_the_main_one(
    alice: User, as_alice: Client, main_deployment: EmulatorDeployment, convex_emulator: Any
) -> None:
    start_conversation(as_alice, "In the main deployment")
    own_dep = convex_emulator.create_deployment(copy_of=main_deployment.name)
    try:
        own = register_main(own_dep, is_main=False, user=alice)
        ContentLocation.objects.create(
            user=alice, connection=own, kind="own", changed_at=timezone.now()
        )
        own_dep.set_state("paused")
        html = text_of(as_alice.get(reverse("content:index")))
        assert 'data-category="paused"' in html and "In the main deployment" not in html
        assert docs_of(main_deployment, "conversations", alice)  # still there, not shown
    finally:
        convex_emulator.delete_deployment(own_dep.name)
