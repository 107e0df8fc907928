"""The "What is in your deployment" panel: "Count documents" queues a count on the worker,
the panel polls until the counts are in, then shows each table's count, the total and when;
a second click while counting queues nothing; a failure is said in words; no key leaks."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from byod.models import Connection
from byod.services.contents import count_documents
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.emulator import EmulatorDeployment

pytestmark = pytest.mark.django_db

PAGE, COUNT, POLL = "/database/", "/database/contents/count/", "/database/contents/counts/"
HTMX = {"HX-Request": "true"}


def queued() -> list[Any]:
    rows = DBTaskResult.objects.filter(task_path__endswith="count_documents_task")
    return [row.args_kwargs["args"] for row in rows]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_before_any_count_it_says_not_counted_yet_with_the_button(
    deployed_connection: Connection, owner_client: Client
) -> None:
    html = owner_client.get(PAGE).content.decode()
    assert "Not counted yet." in html
    assert f'hx-post="{COUNT}"' in html and f'action="{COUNT}"' in html
    assert ">Count documents</button>" in html
    assert 'hx-get="/database/contents/counts/"' not in html  # nothing to poll for
    assert_no_canary(html)


def test_count_documents_queues_the_count_and_the_panel_shows_the_counts(
    deployed_connection: Connection,
    canary_deployment: EmulatorDeployment,
    owner_client: Client,
    django_capture_on_commit_callbacks: Any,
    time_machine: Any,
) -> None:
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    canary_deployment.insert_many("tags", [{"name": f"t{i}"} for i in range(1234)])
    with django_capture_on_commit_callbacks(execute=True):
        answer = owner_client.post(COUNT, headers=HTMX)
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "Counting documents…" in html
    assert 'hx-trigger="every 2s"' in html and f'hx-get="{POLL}"' in html  # it polls
    assert re.search(r"<button[^>]*disabled>Count documents</button>", html)
    assert queued() == [[deployed_connection.pk]]
    assert owner_client.get(POLL, headers=HTMX).status_code == 200  # still counting

    count_documents(deployed_connection.pk)  # what the worker runs
    polled = owner_client.get(POLL, headers=HTMX)
    assert polled.status_code == 286  # htmx swaps it in and stops polling
    shown = text(polled.content.decode())
    assert "1,235 documents in 32 tables." in shown  # 1,234 tags and our version record
    counted = f"Counted {now:%-d %b %Y, %H:%M} UTC"
    assert re.search(rf"{counted} \(just now\) ?\.", shown)
    assert "tags 0 fields" not in shown
    assert re.search(r"tags [^<]*? 1,234 ", shown)
    assert "Total 1,235" in shown
    time_machine.shift(timedelta(minutes=3))
    page = text(owner_client.get(PAGE).content.decode())
    assert "1,235 documents in 32 tables." in page and "Total 1,235" in page
    assert re.search(rf"{counted} \(3 minutes ago\) ?\.", page)
    assert_no_canary(html, polled.content, page)


def test_a_second_click_while_counting_queues_nothing(
    deployed_connection: Connection, owner_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    # The task is queued on commit: run those callbacks, or nothing would ever be queued here.
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(COUNT, headers=HTMX)
        again = owner_client.post(COUNT, headers=HTMX).content.decode()
    assert "A count is already under way" in again
    assert len(queued()) <= 1
    assert queued() == [[deployed_connection.pk]]
    assert Connection.objects.get(pk=deployed_connection.pk).count_is_pending


def test_without_javascript_the_button_posts_and_comes_back(
    deployed_connection: Connection, owner_client: Client
) -> None:
    answer = owner_client.post(COUNT)
    assert answer.status_code == 302 and answer["Location"] == "/database/#contents"
    page = owner_client.get(PAGE).content.decode()
    assert "Counting: the numbers show here in a few seconds (refresh)." in page
    assert "Counting documents…" in page and "<noscript>" in page
    again = owner_client.post(COUNT, follow=True).content.decode()
    assert "A count is already under way" in again
    assert owner_client.get(POLL).status_code == 302  # the poll is for htmx only


def test_a_failed_count_is_said_in_words_without_codes(
    deployed_connection: Connection,
    canary_deployment: EmulatorDeployment,
    owner_client: Client,
) -> None:
    canary_deployment.set_state("paused")
    owner_client.post(COUNT, headers=HTMX)
    count_documents(deployed_connection.pk)
    html = owner_client.get(POLL, headers=HTMX).content.decode()
    shown = text(html)
    assert "The last count failed. Your deployment is paused." in shown
    assert "Resume it in the Convex dashboard, then count again." in shown
    assert "paused" not in re.findall(r'class="[^"]*"', html).__str__()
    for code in ("count_error", "PAUSED", "protocol_error", "Cannot run functions"):
        assert code not in html
    assert_no_canary(html)


def test_a_poll_after_a_disconnect_reloads_the_page(
    deployed_connection: Connection, owner_client: Client
) -> None:
    owner_client.post(COUNT, headers=HTMX)
    Connection.objects.filter(pk=deployed_connection.pk).update(key_ciphertext="", key_id="")
    polled = owner_client.get(POLL, headers=HTMX)
    assert polled["HX-Redirect"] == "/database/#contents"


def test_nothing_to_count_before_the_first_deploy(
    connected: tuple[Connection, Any], owner_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    html = owner_client.get(PAGE).content.decode()
    assert "Count documents" not in html
    with django_capture_on_commit_callbacks(execute=True):
        answer = owner_client.post(COUNT, follow=True).content.decode()
    assert "There is nothing of ours to count yet." in answer
    assert queued() == []


def test_another_user_cannot_count_the_owners_documents(
    deployed_connection: Connection, other_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from tests.fixtures.people import client_for

    with django_capture_on_commit_callbacks(execute=True):
        answer = client_for(other_user).post(COUNT, follow=True).content.decode()
    assert "There is nothing of ours to count yet." in answer
    assert queued() == []
    assert not Connection.objects.get(pk=deployed_connection.pk).count_is_pending


def test_a_visitor_is_sent_to_log_in(anonymous_client: Client) -> None:
    answer = anonymous_client.post(COUNT)
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
    polled = anonymous_client.get(POLL, headers=HTMX)
    assert "/accounts/login/" in polled["HX-Redirect"]


def test_count_documents_is_throttled_with_the_wait_in_the_message(
    deployed_connection: Connection,
    owner_client: Client,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.BYOD_THROTTLES = {**settings.BYOD_THROTTLES, "count:user": (2, 60)}
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert owner_client.post(COUNT, headers=HTMX).status_code == 200
        Connection.objects.filter(pk=deployed_connection.pk).update(count_requested_at=None)
    before = len(queued())
    assert before == 2
    with django_capture_on_commit_callbacks(execute=True):
        throttled = owner_client.post(COUNT, headers=HTMX)
    assert throttled.status_code == 200  # htmx swaps only 2xx: the panel, with the message
    shown = text(throttled.content.decode())
    assert "Too many attempts. Please wait" in shown and "seconds" in shown
    assert 'class="message error"' in throttled.content.decode()
    assert len(queued()) == before  # nothing queued
    assert not Connection.objects.get(pk=deployed_connection.pk).count_is_pending
    without_js = owner_client.post(COUNT, follow=True).content.decode()
    assert "Too many attempts. Please wait" in without_js
