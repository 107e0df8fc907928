"""The settings page's moves: progress and result of every state, give up, and disconnecting
with a choice (keep, bring back, delete), as full pages and as htmx partials."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from byod import transitions
from byod.categories import UNREACHABLE
from byod.models import (
    Connection,
    ConnectionStatus,
    ContentLocation,
    LocationKind,
    Move,
    MoveDirection,
    MovePhase,
    MoveStatus,
)
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.connections import make_connection
from tests.fixtures.people import client_for
from tests.moves.helpers import main_and_own, make_move

pytestmark = [pytest.mark.django_db]
HTMX = {"HX-Request": "true"}


def page(user: User) -> str:
    response = client_for(user).get(reverse("byod:settings"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_no_canary(html)
    return html


def running(user: User, direction: str = MoveDirection.IN, **fields: object) -> Move:
    move = make_move(user, direction, **fields)
    transitions.move_running(move, worker="w-1")
    move.tables = {
        "conversations": {"copied": 50, "source_count": 50, "copy_done": True},
        "messages": {"copied": 4200, "source_count": 10000},
    }
    transitions.save_move_progress(move, phase=MovePhase.COPYING, table="messages")
    return move


def key_kept(connection: Connection) -> bool:
    connection.refresh_from_db()
    return connection.has_key and connection.status != ConnectionStatus.DISCONNECTED


def in_own(user: User, own: Connection) -> None:
    ContentLocation.objects.create(
        user=user, connection=own, kind=LocationKind.OWN, changed_at=timezone.now()
    )


def test_a_running_move_shows_its_progress_per_table_and_polls(owner: User) -> None:
    main_and_own(owner, version=4)
    running(owner)
    html = page(owner)
    assert "Moving your data: messages, 4,200 of 10,000" in html
    assert "conversations, 50 of 50" in html
    assert 'hx-get="/database/move/"' in html and 'hx-trigger="every 1s"' in html
    polled = client_for(owner).get(reverse("byod:move_progress"), headers=HTMX)
    assert polled.status_code == 200
    text = polled.content.decode()
    assert text.lstrip().startswith('<div id="move-status"') and "4,200 of 10,000" in text


def test_while_the_source_is_still_counted_the_page_shows_no_guessed_total(owner: User) -> None:
    # The copy goes on while the source is counted: messages has no count yet.
    main_and_own(owner, version=4)
    move = running(owner)
    move.tables["messages"].pop("source_count")
    move.tables["bookmarks"] = {"source_count": 0, "copied": 0}  # holds nothing: not listed
    transitions.save_move_progress(move, phase=MovePhase.COPYING, table="messages")
    html = page(owner)
    assert "Moving your data: copying" in html and "bookmarks, 0" not in html
    assert "conversations, 50 of 50" in html and "messages, 4,200 (counting)" in html
    assert "<progress" not in html
    move.tables["messages"]["source_count"] = 10000
    transitions.save_move_progress(move, phase=MovePhase.COPYING, table="messages")
    html = page(owner)
    assert "Moving your data: messages, 4,200 of 10,000" in html and "<progress" in html


def test_the_poll_stops_with_the_result_once_the_move_is_done(owner: User) -> None:
    _, own = main_and_own(owner, version=4)
    move = running(owner)
    transitions.move_verifying(move)
    transitions.move_done(move, keep_days=7)
    polled = client_for(owner).get(reverse("byod:move_progress"), headers=HTMX)
    assert polled.status_code == 286  # htmx: swap, then stop polling
    assert polled["HX-Retarget"] == "#byod-state"
    text = polled.content.decode()
    assert f"Your content is in your deployment {own.deployment_name} now." in text
    assert "The old copy is kept until" in text and 'hx-trigger="every 1s"' not in text


def result_classes(html: str) -> list[str]:
    """The classes of the move's result panel in `html`."""
    tag = html[: html.index("move-result")].rsplit("<div", 1)[1] + "move-result"
    return tag.split('class="', 1)[1].split()


def test_a_finished_move_says_so_in_the_success_colour(owner: User) -> None:
    main_and_own(owner, version=4)
    move = running(owner)
    transitions.move_verifying(move)
    transitions.move_done(move, keep_days=7)
    html = page(owner)
    assert "Move finished" in html
    assert result_classes(html) == ["banner", "ok", "move-result"]


def test_a_given_up_move_keeps_the_warning_colour_and_a_failed_one_the_bad_one(
    owner: User, other_user: User
) -> None:
    main_and_own(owner, version=4)
    transitions.move_cancelled(running(owner), actor=owner)
    html = page(owner)
    assert "Move given up" in html and result_classes(html) == ["banner", "move-result"]
    transitions.move_failed(running(other_user), category=UNREACHABLE, message="No answer.")
    html = page(other_user)
    assert "The move did not finish" in html
    assert result_classes(html) == ["banner", "bad", "move-result"]


def test_without_htmx_the_poll_url_sends_back_to_the_page(owner: User) -> None:
    response = client_for(owner).get(reverse("byod:move_progress"))
    assert response.status_code == 302 and response["Location"] == reverse("byod:settings")


def test_a_failed_move_says_the_category_and_what_to_do(owner: User) -> None:
    main_and_own(owner, version=4)
    move = running(owner)
    transitions.move_failed(move, category=UNREACHABLE, message="No answer from it.")
    html = page(owner)
    assert "The move did not finish:" in html
    assert "Your content stays in the main deployment" in html
    assert "What to do:" in html and "ask for the move again" in html
    assert "unreachable" not in html.split("move-result")[1].split("</div>")[0]  # words, no code


def test_a_waiting_move_says_why_and_when_and_can_be_given_up(owner: User) -> None:
    _, own = main_and_own(owner, version=4)
    move = running(owner)
    retry = timezone.now() + timedelta(minutes=5)
    transitions.move_waiting(
        move, category=UNREACHABLE, message="Your deployment did not answer.", retry_at=retry
    )
    html = page(owner)
    assert "Waiting:" in html and "did not answer" in html
    assert "We try again on our own at" in html
    assert "Give up (keep it where it is)" in html
    response = client_for(owner).post(reverse("byod:give_up"), headers=HTMX)
    assert response.status_code == 200
    move.refresh_from_db()
    own.refresh_from_db()
    assert move.status == MoveStatus.CANCELLED
    assert own.status == ConnectionStatus.CONNECTED and own.has_key  # not a disconnect's move
    assert "Given up. Your content stays where it was." in response.content.decode()
    assert "The move was given up. Your content stays in the main deployment." in page(owner)


def test_give_up_without_a_move_says_so(owner: User) -> None:
    main_and_own(owner, version=4)
    response = client_for(owner).post(reverse("byod:give_up"), follow=True)
    assert "There is no move under way." in response.content.decode()


def test_disconnect_offers_keep_bring_back_and_delete_said_plainly(owner: User) -> None:
    _, own = main_and_own(owner, version=4)
    in_own(owner, own)
    html = client_for(owner).get(reverse("byod:disconnect")).content.decode()
    for words in ("Keep it in my deployment", "Bring it back", "Delete it in my deployment"):
        assert words in html
    assert 'value="back"' in html and "check every document" in html
    assert f"type the deployment's name: <code>{own.deployment_name}</code>" in html


def test_without_a_main_deployment_bring_back_is_not_offered_and_says_why(owner: User) -> None:
    own = make_connection(owner, name="own-only", deployed_version=4)
    in_own(owner, own)
    client = client_for(owner)
    html = client.get(reverse("byod:disconnect")).content.decode()
    assert 'value="back"' not in html
    assert "no main deployment to bring your content back to" in html
    refused = client.post(reverse("byod:disconnect"), {"choice": "back"})
    assert refused.status_code == 422 and "no main deployment" in refused.content.decode()
    assert not Move.objects.exists()


def test_delete_is_refused_without_the_typed_name(owner: User) -> None:
    _, own = main_and_own(owner, version=4)
    in_own(owner, own)
    client = client_for(owner)
    for typed in ("", "wrong-name"):
        refused = client.post(reverse("byod:disconnect"), {"choice": "delete", "typed_name": typed})
        assert refused.status_code == 422
        assert "Nothing was deleted: type the deployment&#x27;s name" in refused.content.decode()
    assert not Move.objects.exists()
    own.refresh_from_db()
    assert own.has_key and own.status == ConnectionStatus.CONNECTED


def test_delete_with_the_name_starts_the_delete_and_keeps_the_key_until_it_is_done(
    owner: User,
) -> None:
    _, own = main_and_own(owner, version=4)
    in_own(owner, own)
    response = client_for(owner).post(
        reverse("byod:disconnect"),
        {"choice": "delete", "typed_name": own.deployment_name},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Deleting our documents in your deployment" in response.content.decode()
    move = Move.objects.get()
    assert (move.direction, move.disconnect_after) == (MoveDirection.DELETE, True)
    assert key_kept(own)  # not before the work is finished
    transitions.move_running(move, worker="w-1")
    transitions.move_done(move, keep_days=7)
    own.refresh_from_db()
    assert own.status == ConnectionStatus.DISCONNECTED and not own.has_key
    assert not ContentLocation.objects.filter(user=owner).exists()  # main, empty
    assert "none is left" in page(owner)


def test_bring_back_moves_first_then_erases_the_key(owner: User) -> None:
    _, own = main_and_own(owner, version=4)
    in_own(owner, own)
    response = client_for(owner).post(reverse("byod:disconnect"), {"choice": "back"})
    assert response.status_code == 302
    move = Move.objects.get()
    assert (move.direction, move.disconnect_after) == (MoveDirection.BACK, True)
    html = page(owner)
    assert "Moving your data back" in html and "Your deploy key is erased once it is done." in html
    assert key_kept(own)
    transitions.move_running(move, worker="w-1")
    transitions.move_verifying(move)
    transitions.move_done(move, keep_days=7)
    own.refresh_from_db()
    assert own.status == ConnectionStatus.DISCONNECTED and not own.has_key
    done = page(owner)
    assert "Your content is in the main deployment again." in done
    assert "we erased its key, so only you can remove it" in done
    assert "The old copy is kept until" not in done  # no key: not ours to keep or purge


def test_giving_up_a_disconnects_move_midway_keeps_the_content_and_erases_the_key(
    owner: User,
) -> None:
    _, own = main_and_own(owner, version=4)
    in_own(owner, own)
    client_for(owner).post(reverse("byod:disconnect"), {"choice": "back"})
    move = Move.objects.get()
    transitions.move_running(move, worker="w-1")
    transitions.move_waiting(
        move, category=UNREACHABLE, message="Gone.", retry_at=timezone.now() + timedelta(minutes=1)
    )
    html = page(owner)
    assert "Giving up cancels the move, erases your deploy key at once" in html
    response = client_for(owner).post(reverse("byod:give_up"), follow=True)
    assert "We erased your deploy key" in response.content.decode()
    move.refresh_from_db()
    own.refresh_from_db()
    assert move.status == MoveStatus.CANCELLED
    assert own.status == ConnectionStatus.DISCONNECTED and not own.has_key


def test_keep_disconnects_at_once_and_cancels_a_move_under_way(owner: User) -> None:
    _, own = main_and_own(owner, version=4)
    move = running(owner)
    response = client_for(owner).post(reverse("byod:disconnect"), {"choice": "keep"})
    assert response.status_code == 302
    move.refresh_from_db()
    own.refresh_from_db()
    assert move.status == MoveStatus.CANCELLED
    assert own.status == ConnectionStatus.DISCONNECTED and not own.has_key


def test_an_unknown_choice_changes_nothing(owner: User) -> None:
    _, own = main_and_own(owner, version=4)
    response = client_for(owner).post(reverse("byod:disconnect"), {"choice": "burn"})
    assert response.status_code == 422 and "Choose what happens" in response.content.decode()
    assert key_kept(own)


def test_another_user_never_sees_nor_gives_up_the_owners_move(
    owner: User, other_user: User
) -> None:
    main_and_own(owner, version=4)
    move = running(owner)
    assert "4,200 of 10,000" not in page(other_user)
    client_for(other_user).post(reverse("byod:give_up"))
    move.refresh_from_db()
    assert move.status == MoveStatus.RUNNING


def test_with_moves_off_only_keep_is_offered(owner: User, settings: Any) -> None:
    settings.BYOD_MOVES_ENABLED = False
    _, own = main_and_own(owner, version=4)
    in_own(owner, own)
    client = client_for(owner)
    html = client.get(reverse("byod:disconnect")).content.decode()
    assert 'value="keep"' in html
    assert 'value="back"' not in html and 'value="delete"' not in html
    assert "not available on this site yet" in html
    refused = client.post(
        reverse("byod:disconnect"), {"choice": "delete", "typed_name": own.deployment_name}
    )
    assert refused.status_code == 422 and not Move.objects.exists()
    assert key_kept(own)


def test_not_connected_with_content_in_main_says_it_moves_in_after_the_first_deploy(
    owner: User,
) -> None:
    main_and_own(owner, version=4)
    Connection.objects.filter(user=owner).delete()
    html = page(owner)
    assert "we move it into your deployment" in html and 'id="content-moves"' in html
