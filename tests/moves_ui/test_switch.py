"""New credentials for another deployment while the content lives in the current one: the form
asks (move it there, or start empty there), refuses to guess, and "move it" runs for real on
emulated deployments: old -> main (verified), the new credentials applied with the flip, the new
deployment's first deploy, then main -> new; the old deployment keeps its copy, untouched by
the purge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from byod import keys
from byod.models import (
    Connection,
    ContentLocation,
    Deployment,
    DeploymentStatus,
    LocationKind,
    Move,
    MoveDirection,
    MoveStatus,
)
from byod.services.deploys.run import run_deploy
from byod.services.moves import purge
from byod.services.moves.run import run_move
from tests.fixtures.emulator import Emulator
from tests.fixtures.people import client_for
from tests.moves.conftest import Pair, assert_all_there_once, count_owned, seed
from tests.moves.helpers import main_and_own, make_move

HTMX = {"HX-Request": "true"}
NEW = {"url": "https://other-one-123.convex.cloud", "deploy_key": "prod:other-one-123|abc"}


def lives_in(user: User, own: Connection) -> None:
    ContentLocation.objects.create(
        user=user, connection=own, kind=LocationKind.OWN, changed_at=timezone.now()
    )


@pytest.mark.django_db
def test_the_form_asks_what_happens_to_content_that_lives_here(owner: User, settings: Any) -> None:
    settings.BYOD_MOVES_ENABLED = True
    _, own = main_and_own(owner, version=4)
    lives_in(owner, own)
    html = client_for(owner).get(reverse("byod:credentials")).content.decode()
    assert "what happens to your content?" in html
    assert 'value="move"' in html and 'value="empty"' in html
    assert "keeps its data" in html


@pytest.mark.django_db
def test_no_question_when_the_content_is_not_here(owner: User, settings: Any) -> None:
    settings.BYOD_MOVES_ENABLED = True
    main_and_own(owner, version=4)
    html = client_for(owner).get(reverse("byod:credentials")).content.decode()
    assert 'name="content_choice"' not in html


@pytest.mark.django_db
def test_another_url_without_a_choice_saves_nothing(owner: User, settings: Any) -> None:
    settings.BYOD_MOVES_ENABLED = True
    _, own = main_and_own(owner, version=4)
    lives_in(owner, own)
    response = client_for(owner).post(reverse("byod:credentials"), NEW, headers=HTMX)
    assert response.status_code == 200  # htmx: the form again, with what is wrong
    html = response.content.decode()
    assert "Nothing was saved: your content lives in your current deployment" in html
    assert 'name="content_choice"' in html  # asked again, in the swapped form
    own.refresh_from_db()
    assert own.url != NEW["url"] and not Move.objects.exists()


@pytest.mark.django_db
def test_with_moves_off_moving_is_not_offered_and_is_refused(owner: User, settings: Any) -> None:
    settings.BYOD_MOVES_ENABLED = False
    _, own = main_and_own(owner, version=4)
    lives_in(owner, own)
    client = client_for(owner)
    html = client.get(reverse("byod:credentials")).content.decode()
    assert 'value="move"' not in html and "not available on this site yet" in html
    refused = client.post(reverse("byod:credentials"), {**NEW, "content_choice": "move"})
    assert refused.status_code == 422 and not Move.objects.exists()


@pytest.mark.django_db
def test_a_switch_given_up_erases_the_waiting_credentials(owner: User, settings: Any) -> None:
    settings.BYOD_MOVES_ENABLED = True
    _, own = main_and_own(owner, version=4)
    lives_in(owner, own)
    move = make_move(
        owner,
        MoveDirection.BACK,
        source_url=own.url,
        switch_url=NEW["url"],
        switch_key_ciphertext="sealed",
        switch_key_id="k1",
    )
    assert "step 1 of 2" in client_for(owner).get(reverse("byod:settings")).content.decode()
    client_for(owner).post(reverse("byod:give_up"))
    move.refresh_from_db()
    assert move.status == MoveStatus.CANCELLED
    assert (move.switch_url, move.switch_key_ciphertext, move.switch_key_id) == ("", "", "")
    own.refresh_from_db()
    assert own.url != NEW["url"] and own.has_key  # still the old deployment, connected


@pytest.mark.slow
@pytest.mark.django_db
def test_move_it_there_goes_old_main_new_and_the_old_copy_stays(
    pair: Pair, owner: User, convex_emulator: Emulator, settings: Any
) -> None:
    settings.BYOD_MOVES_ENABLED = True
    old, connection = pair.own, pair.own_connection
    lives_in(owner, connection)
    mine = seed(old, owner, conversations=3, per_conversation=20)
    new = convex_emulator.create_deployment(backfill_ms=0)
    try:
        response = client_for(owner).post(
            reverse("byod:credentials"),
            {"url": new.url, "deploy_key": new.admin_key, "content_choice": "move"},
        )
        assert response.status_code == 302, response.content.decode()[-2000:]
        back = Move.objects.get()
        assert back.direction == MoveDirection.BACK and back.switch_url == new.url
        connection.refresh_from_db()
        assert connection.url == old.url  # the old credentials serve the move

        run_move(back.pk)
        back.refresh_from_db()
        assert back.status == MoveStatus.DONE, back.error_message
        assert (back.switch_url, back.switch_key_ciphertext) == ("", "")  # erased
        connection.refresh_from_db()
        assert connection.url == new.url and keys.open_deploy_key(connection) == new.admin_key
        assert not ContentLocation.objects.filter(user=owner).exists()  # main, in between
        assert_all_there_once(pair.main, mine)

        deployment = Deployment.objects.get(connection=connection, status="queued")
        run_deploy(deployment.pk)
        deployment.refresh_from_db()
        assert deployment.status == DeploymentStatus.SUCCEEDED, deployment.log[-2000:]
        brought = Move.objects.unfinished().get()  # the first deploy brings the content in
        assert brought.direction == MoveDirection.IN
        run_move(brought.pk)
        brought.refresh_from_db()
        assert brought.status == MoveStatus.DONE, brought.error_message
        assert ContentLocation.objects.get(user=owner).connection_id == connection.pk
        assert_all_there_once(new, mine)
        assert count_owned(old, mine) == mine.total  # the old deployment keeps its data

        Move.objects.filter(pk=back.pk).update(purge_after=timezone.now() - timedelta(days=1))
        back.refresh_from_db()
        purge.purge(back)
        assert_all_there_once(new, mine)  # the purge never reaches the new deployment
        assert count_owned(old, mine) == mine.total
    finally:
        convex_emulator.delete_deployment(new.name)


@pytest.mark.django_db
def test_the_admin_never_shows_a_waiting_sealed_key(staff: User, owner: User) -> None:
    move = make_move(
        owner,
        MoveDirection.BACK,
        switch_url=NEW["url"],
        switch_key_ciphertext="SEALED-CANARY-TEXT",
        switch_key_id="KEY-ID-CANARY",
    )
    page = client_for(staff).get(reverse("admin:byod_move_change", args=[move.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and NEW["url"] in html
    assert "SEALED-CANARY-TEXT" not in html and "KEY-ID-CANARY" not in html
