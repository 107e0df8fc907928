"""The settings page's history names each move in plain words: its start, its end (how many
documents, verified), a failure with what to do, a wait, a give-up and the old copy's removal;
the steps between (running, writes paused, verifying) stay on the move panel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from byod import transitions
from byod.categories import CATEGORIES, FOREIGN_CONTENT, PAUSED, UNREACHABLE
from byod.models import Move, MoveDirection, MovePhase
from byod.views import words
from tests.fixtures.canary import assert_no_canary
from tests.fixtures.people import client_for
from tests.moves.helpers import main_and_own, make_move

pytestmark = [pytest.mark.django_db]


def history(user: User) -> str:
    response = client_for(user).get(reverse("byod:settings"))
    assert response.status_code == 200
    html = response.content.decode()
    assert_no_canary(html)
    return html[html.index('id="history"') :]


def copied(move: Move, **counts: int) -> Move:
    transitions.move_running(move, worker="w-1")
    transitions.move_frozen(move)
    move.tables = {t: {"copied": n, "source_count": n} for t, n in counts.items()}
    transitions.save_move_progress(move, phase=MovePhase.COPYING, table="")
    return move


def finished(move: Move) -> Move:
    transitions.move_verifying(move)
    transitions.move_done(move, keep_days=7)
    return move


def test_a_move_in_reads_as_started_then_moved_with_its_count_verified(owner: User) -> None:
    main_and_own(owner, version=4)
    finished(copied(make_move(owner), messages=18_000, conversations=834))
    rows = history(owner)
    assert "Moving your data in started." in rows
    assert "Your data was moved in: 18,834 documents, verified." in rows
    assert 'class="event-move-done tone-ok"' in rows
    # The steps between are the move panel's, and the location change is the end's own row.
    for step in ("move-running", "move-frozen", "move-verifying", "content-location-changed"):
        assert f"event-{step}" not in rows, step


def test_a_failed_bring_back_says_it_failed_why_and_what_to_do(owner: User) -> None:
    main_and_own(owner, version=4)
    move = copied(make_move(owner, MoveDirection.BACK), messages=3)
    transitions.move_failed(move, category=UNREACHABLE, message="No answer.", worker="w-1")
    rows = history(owner)
    assert "Bringing your data back started." in rows
    assert (
        "Bringing your data back failed: once your deployment answers again, ask for the move "
        "again." in rows
    )
    assert "We could not reach your deployment" in rows  # the category's title, not its code
    assert 'class="event-move-failed tone-bad"' in rows and "unreachable" not in rows


def test_a_failure_the_user_must_fix_gives_the_categorys_own_advice(owner: User) -> None:
    main_and_own(owner, version=4)
    move = make_move(owner)
    transitions.move_failed(move, category=FOREIGN_CONTENT, message="Someone else's.")
    assert "Moving your data in failed: the deployment we would move your content to" in (
        history(owner)
    )


def test_a_paused_deployment_is_told_to_resume_and_ask_for_the_move_not_a_deploy(
    owner: User,
) -> None:
    assert words.move_failure(PAUSED) == (
        "Resume your deployment in the Convex dashboard, then ask for the move again."
    )


@pytest.mark.parametrize("code", [*CATEGORIES, "gone_since_long"])
def test_no_failed_move_is_told_to_deploy_again(code: str) -> None:
    advice = words.move_failure(code)
    assert advice and "deploy again" not in advice and "the deploy " not in advice, code


def test_a_waiting_move_and_a_given_up_one_say_so(owner: User) -> None:
    main_and_own(owner, version=4)
    move = copied(make_move(owner), messages=3)
    retry = timezone.now() + timedelta(minutes=5)
    transitions.move_waiting(move, category=UNREACHABLE, message="No answer.", retry_at=retry)
    transitions.move_cancelled(move, actor=owner)
    rows = history(owner)
    assert "Moving your data in waits for your deployment; we try again on our own." in rows
    assert 'class="event-move-waiting tone-warn"' in rows
    assert "Moving your data in was given up; your data stays where it was." in rows


def test_a_delete_and_the_old_copys_removal_count_documents(owner: User) -> None:
    main_and_own(owner, version=4)
    moved = finished(copied(make_move(owner), messages=1))
    transitions.move_purged(moved, removed=1)
    delete = make_move(owner, MoveDirection.DELETE)
    transitions.move_running(delete, worker="w-2")
    delete.tables = {"messages": {"removed": 1, "source_count": 1}}
    transitions.save_move_progress(delete, phase=MovePhase.REMOVING, table="")
    finished(delete)
    rows = history(owner)
    assert "The old copy of your data was removed (1 document)." in rows
    assert "Deleting your data in your deployment started." in rows
    assert "Your data in your deployment was deleted: 1 document." in rows


def test_the_first_step_to_new_credentials_says_where_the_data_goes_even_once_it_failed(
    owner: User,
) -> None:
    main_and_own(owner, version=4)
    move = make_move(owner, MoveDirection.BACK, switch_url="https://new-one.convex.cloud")
    transitions.move_failed(move, category=UNREACHABLE, message="No answer.")
    move.refresh_from_db()
    assert move.switch_url == ""  # erased by the failure; the Events keep what it was
    rows = history(owner)
    step = "Moving your data to your new deployment (step 1 of 2, by the main deployment)"
    assert f"{step} started." in rows and f"{step} failed: " in rows
    assert "new-one" not in rows


def test_a_move_event_whose_move_row_is_gone_still_reads_as_a_move(owner: User) -> None:
    _, own = main_and_own(owner, version=4)
    transitions.record(own, "move.done", "x", data={"documents": 5})
    assert "Your data was moved and verified." in history(owner)


def test_move_sentences_name_no_code() -> None:
    said = [
        words.move_sentence(kind, direction, switching=switching, data={"documents": 2})
        for kind in words.EVENTS
        for direction in MoveDirection
        for switching in (False, True)
    ]
    assert all(s and "_" not in s for s in said)
